/**
 * Checks of an OpenAPI 3.0 document that every app's OpenAPI test shares: its operations,
 * the error codes each response names, and the structural rules a generator can get wrong.
 */
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@case-storage/platform';

type Json = Record<string, unknown>;
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** Every operation of the document as "METHOD /path". */
export function documentedRoutes(document: OpenAPIObject): string[] {
  return operations(document).map(({ route }) => route);
}

export function operations(document: OpenAPIObject): Array<{ route: string; op: Json }> {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([key]) => HTTP_METHODS.includes(key))
      .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op: op as Json })),
  );
}

/** Every `code` enum of every error response, as [route, status, code]. */
export function documentedErrorCodes(document: OpenAPIObject): Array<[string, number, string]> {
  return operations(document).flatMap(({ route, op }) =>
    Object.entries(op['responses'] as Record<string, Json>).flatMap(([status, response]) => {
      const schema = (response['content'] as Record<string, { schema: Json }> | undefined)?.['application/json']?.schema;
      const narrowed = (schema?.['allOf'] as Json[] | undefined)?.[1] as { properties: { code: { enum: string[] } } } | undefined;
      return (narrowed?.properties.code.enum ?? []).map((code): [string, number, string] => [route, Number(status), code]);
    }),
  );
}

/**
 * The structural rules of OpenAPI 3.0 that a generator can get wrong: version and info,
 * operations with described responses and unique ids, path templates matching their
 * declared parameters, security requirements naming a defined scheme, every $ref
 * pointing at a component that exists, and `nullable` only where 3.0 readers honour it.
 */
export function structuralProblems(document: OpenAPIObject): string[] {
  const problems: string[] = [];
  if (!/^3\.0\.\d+$/.test(document.openapi)) problems.push(`openapi is "${document.openapi}", not 3.0.x`);
  if (!document.info?.title || !document.info?.version) problems.push('info.title and info.version are required');
  const schemes = Object.keys(document.components?.securitySchemes ?? {});
  const checkSecurity = (where: string, security: unknown): void => {
    for (const requirement of (security as Json[] | undefined) ?? []) {
      for (const name of Object.keys(requirement)) if (!schemes.includes(name)) problems.push(`${where}: unknown security scheme ${name}`);
    }
  };
  checkSecurity('document', document.security);
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (!path.startsWith('/')) problems.push(`path ${path} must start with /`);
    for (const [key, value] of Object.entries(item as Json)) {
      if (!HTTP_METHODS.includes(key)) continue;
      const op = value as {
        operationId?: string;
        responses?: Record<string, { description?: string }>;
        parameters?: Array<{ in: string; name: string; required?: boolean }>;
        security?: unknown;
      };
      const where = `${key.toUpperCase()} ${path}`;
      if (!op.operationId) problems.push(`${where}: no operationId`);
      else if (ids.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
      else ids.add(op.operationId);
      const responses = Object.entries(op.responses ?? {});
      if (responses.length === 0) problems.push(`${where}: no responses`);
      for (const [status, response] of responses) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${where}: bad status ${status}`);
        if (typeof response.description !== 'string') problems.push(`${where} ${status}: no description`);
      }
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      if (JSON.stringify(declared.map((p) => p.name).sort()) !== JSON.stringify(templated))
        problems.push(`${where}: path parameters do not match the template`);
      for (const p of declared) if (p.required !== true) problems.push(`${where}: path parameter ${p.name} must be required`);
      checkSecurity(where, op.security);
    }
  }
  // zod-to-openapi 7 turns `.nullable()` of a named schema into a nullable component, or an
  // `allOf` branch that is only `{nullable: true}`: neither says "this field may be null".
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    if ((schema as Json)['nullable'] === true) problems.push(`component ${name} is nullable itself`);
  }
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((child, i) => walk(child, `${at}/${i}`));
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref') {
        const match = /^#\/components\/(\w+)\/([\w.-]+)$/.exec(String(value));
        const components = document.components as Record<string, Json | undefined> | undefined;
        if (!match || !components?.[match[1]]?.[match[2]]) problems.push(`${at}: $ref ${String(value)} does not resolve`);
      } else {
        if (key === 'allOf' && (value as Json[]).some((branch) => branch['nullable'] === true && !branch['type']))
          problems.push(`${at}: nullable inside allOf does not make the field nullable`);
        walk(value, `${at}/${key}`);
      }
    }
  };
  walk(document, '#');
  return problems;
}

/** Not API routes: the document's own (plain express) and middleware bound to every path (nestjs-pino's `/{*path}`). */
const NOT_AN_ENDPOINT = /^\/api\/docs|\*/;

/** Every route the Nest app really registered, as "METHOD /path/{param}", to compare with the document. */
export function registeredRoutes(app: INestApplication): string[] {
  interface Layer {
    route?: { path: string; methods: Record<string, boolean> };
  }
  // Express 5 keeps its router on `app.router`.
  const stack = (app.getHttpAdapter().getInstance() as unknown as { router: { stack: Layer[] } }).router.stack;
  return stack
    .filter((layer): layer is Required<Layer> => layer.route !== undefined && !NOT_AN_ENDPOINT.test(layer.route.path))
    .flatMap((layer) => Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`));
}
