import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV3, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { INestApplication } from '@nestjs/common';
import { OpenAPIObject as SwaggerDocument, SwaggerModule } from '@nestjs/swagger';
import { AuthErrorCode } from '@case-storage/auth';
import { RequestErrorCode } from '@case-storage/domain';
import { z } from 'zod';

// Adds `.openapi()` to zod's types; idempotent, so every *.openapi.ts file may call it too.
extendZodWithOpenApi(z);

export { OpenAPIRegistry };

/** An OpenAPI 3.0 document as zod-to-openapi generates it. */
export type OpenAPIObject = ReturnType<OpenApiGeneratorV3['generateDocument']>;

/** Adds one module's schemas and routes to the document. */
export type OpenApiRegistration = (registry: OpenAPIRegistry) => void;

/** Name of the bearer scheme in `components.securitySchemes`; every route needs it unless it says `security: []`. */
export const BEARER_AUTH = 'bearerAuth';

/** Codes the platform itself answers with (see error.filter.ts), outside any module's enum. */
export enum PlatformErrorCode {
  MalformedJson = 'MALFORMED_JSON',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  Internal = 'INTERNAL',
}

/** The one error body (error.filter.ts `ErrorBody`), registered as `#/components/schemas/Error`. */
export const errorBodySchema = z
  .object({
    code: z
      .string()
      .openapi({ description: 'Stable, machine-readable; clients branch on it. Each response lists the codes it can carry.' }),
    message: z.string().openapi({ description: 'For people; may change between releases.' }),
    details: z
      .record(z.unknown())
      .optional()
      .openapi({ description: 'Structured context, e.g. the invalid fields or, for batch errors, `errors` with one entry per bad file.' }),
    requestId: z
      .string()
      .openapi({ description: 'Also in the `x-request-id` response header and in our logs; quote it when reporting a problem.' }),
  })
  .openapi('Error', {
    description:
      'Every error answer. Any request whose JSON body does not parse answers 400 MALFORMED_JSON, a body over 4 MB 413 PAYLOAD_TOO_LARGE, and anything unexpected 500 INTERNAL.',
  });

const ERROR_REF = '#/components/schemas/Error';

/** Possible error codes per HTTP status of one route. */
export type ErrorCodes = Readonly<Partial<Record<number, readonly string[]>>>;

/** Any route behind the global AuthGuard. */
export const AUTHENTICATED_ERRORS: ErrorCodes = {
  401: [AuthErrorCode.MissingToken, AuthErrorCode.InvalidToken, AuthErrorCode.TokenExpired],
  503: [AuthErrorCode.KeySourceUnavailable],
};

/** Routes marked with `@Roles`. */
export const ROLE_ERRORS: ErrorCodes = { 403: [AuthErrorCode.ForbiddenRole] };

/** Routes that read a JSON body with `parseBody`. */
export const JSON_BODY_ERRORS: ErrorCodes = {
  400: [PlatformErrorCode.MalformedJson, RequestErrorCode.ValidationFailed],
  413: [PlatformErrorCode.PayloadTooLarge],
};

/** Routes that call `CaseAccessService.assertCaseAccess` with a `caseId` from the URL. */
export const CASE_ACCESS_ERRORS: ErrorCodes = {
  400: [RequestErrorCode.InvalidId],
  403: [AuthErrorCode.InsufficientCaseRole],
  404: [AuthErrorCode.CaseNotFound],
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  422: 'Stored data does not match the request',
  500: 'Internal error',
  503: 'A dependency is unavailable; retry later',
};

/** Unions several code maps (duplicates dropped, order kept). */
export function mergeErrorCodes(...maps: ErrorCodes[]): ErrorCodes {
  const merged: Record<number, string[]> = {};
  for (const map of maps) {
    for (const [status, codes] of Object.entries(map)) {
      const list = (merged[Number(status)] ??= []);
      for (const code of codes ?? []) if (!list.includes(code)) list.push(code);
    }
  }
  return merged;
}

/**
 * The error responses of one route: per status the shared Error schema with `code`
 * narrowed to an enum of the codes it can carry, listed in the description too. 500
 * INTERNAL is added to every route.
 */
export function errorResponses(...maps: ErrorCodes[]): Record<string, ResponseConfig> {
  const all = mergeErrorCodes(...maps, { 500: [PlatformErrorCode.Internal] });
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, codes = []] of Object.entries(all).sort(([a], [b]) => Number(a) - Number(b))) {
    responses[status] = {
      description: `${STATUS_TEXT[Number(status)] ?? 'Error'}. \`code\` is one of: ${codes.join(', ')}.`,
      content: {
        'application/json': {
          schema: { allOf: [{ $ref: ERROR_REF }, { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } }] },
        },
      },
    };
  }
  return responses;
}

/** A JSON response whose body is `schema`. */
export function jsonResponse(description: string, schema: z.ZodTypeAny): ResponseConfig {
  return { description, content: { 'application/json': { schema } } };
}

/** A JSON request body; bodies are always required (a missing one is validated as `{}`). */
export function jsonBody(
  schema: z.ZodTypeAny,
  description?: string,
): { required: true; description?: string; content: { 'application/json': { schema: z.ZodTypeAny } } } {
  return { required: true, ...(description ? { description } : {}), content: { 'application/json': { schema } } };
}

/** `uuid` path parameters, the way `parseUuid` reads them. */
export const uuidParam = (description: string): z.ZodString => z.string().uuid().openapi({ description });

/**
 * Compile-time drift check between a response schema and the TS view it documents:
 * `true` only when both have the same fields and types (readonly-ness ignored).
 */
export type SameShape<A, B> = [DeepReadonly<A>] extends [DeepReadonly<B>]
  ? [DeepReadonly<B>] extends [DeepReadonly<A>]
    ? true
    : false
  : false;
type DeepReadonly<T> = T extends (infer U)[] | ReadonlyArray<infer U>
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

const healthIndicators = z.record(z.object({ status: z.enum(['up', 'down']), message: z.string().optional() }).passthrough());
const healthCheckResult = z
  .object({
    status: z.enum(['ok', 'error', 'shutting_down']),
    info: healthIndicators.optional(),
    error: healthIndicators.optional(),
    details: healthIndicators,
  })
  .openapi('HealthCheckResult', { description: 'Terminus report: one entry per dependency (postgres, redis, objectStorage).' });

/** The routes PlatformModule adds to every app (health.controller.ts, metrics.controller.ts): public, no token. */
function registerPlatformRoutes(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/health/live',
    operationId: 'healthLive',
    tags: ['health'],
    summary: 'Liveness: the process can serve (no dependencies checked)',
    security: [],
    responses: {
      200: jsonResponse('Alive', z.object({ status: z.literal('ok'), service: z.string() })),
      ...errorResponses(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/health/ready',
    operationId: 'healthReady',
    tags: ['health'],
    summary: 'Readiness: every backing service answers',
    security: [],
    responses: {
      200: jsonResponse('Every dependency is up', healthCheckResult),
      503: jsonResponse('At least one dependency is down; `error` says which', healthCheckResult),
      ...errorResponses(),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags: ['health'],
    summary: 'Prometheus metrics (not routed by the API gateway)',
    security: [],
    responses: {
      200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
      ...errorResponses(),
    },
  });
}

/**
 * The OpenAPI 3.0 document of one app: the shared Error schema, the bearer scheme (the
 * default for every operation), the platform's public routes and each module's registrations.
 */
export function buildOpenApiDocument(
  registrations: readonly OpenApiRegistration[],
  info: { title: string; version: string; description?: string },
): OpenAPIObject {
  const registry = new OpenAPIRegistry();
  registry.register('Error', errorBodySchema);
  registry.registerComponent('securitySchemes', BEARER_AUTH, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token of the identity provider: `Authorization: Bearer <token>`.',
  });
  registerPlatformRoutes(registry);
  for (const register of registrations) register(registry);
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info,
    security: [{ [BEARER_AUTH]: [] }],
  });
}

export const OPENAPI_UI_PATH = 'api/docs';
export const OPENAPI_JSON_PATH = 'api/docs-json';

/**
 * Serves the UI at `/api/docs` and the JSON at `/api/docs-json`. SwaggerModule adds plain
 * express routes, outside Nest's router, so the global AuthGuard never sees them: they
 * are public by construction. Call before `listen` (Nest's 404 handler is added at init).
 */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  // openapi3-ts and @nestjs/swagger declare the same OpenAPI 3.0 object separately.
  SwaggerModule.setup(OPENAPI_UI_PATH, app, document as unknown as SwaggerDocument, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: document.info.title,
  });
}
