/**
 * The OpenAPI document against the app that serves it: structurally valid OpenAPI 3.0, in
 * step with the routes Nest really registers, naming every error code with the status its
 * error class really answers, and public (no token) both in-process and from the built bundle.
 */
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AuthError, AuthErrorCode } from '@case-storage/auth';
import { RequestError, RequestErrorCode } from '@case-storage/domain';
import { configureApp, OpenAPIObject, PlatformErrorCode, serveOpenApi } from '@case-storage/platform';
import { TenancyAdminError, TenancyAdminErrorCode } from '@case-storage/tenancy-admin';
import { documentedErrorCodes, documentedRoutes, registeredRoutes, RunningApp, startBuiltApp, structuralProblems, testConfig, waitForStatus } from '@case-storage/testing';
import { UploadError, UploadErrorCode } from '@case-storage/uploads';
import { AppModule } from './app/app.module';
import { buildUploadApiDocument } from './openapi';

const doc: OpenAPIObject = buildUploadApiDocument();

/** The status each code really answers with, read from the error classes themselves. */
function statusOfCode(): Map<string, number> {
  const statuses = new Map<string, number>([
    [PlatformErrorCode.MalformedJson, 400],
    [PlatformErrorCode.PayloadTooLarge, 413],
    [PlatformErrorCode.Internal, 500],
  ]);
  for (const code of Object.values(UploadErrorCode)) statuses.set(code, new UploadError(code, '').httpStatus);
  for (const code of Object.values(AuthErrorCode)) statuses.set(code, new AuthError(code, '').httpStatus);
  for (const code of Object.values(RequestErrorCode)) statuses.set(code, new RequestError(code, '').httpStatus);
  for (const code of Object.values(TenancyAdminErrorCode)) {
    const status = new TenancyAdminError(code, '').httpStatus;
    // CASE_NOT_FOUND is both an auth and an admin code; both must answer alike.
    if (statuses.has(code) && statuses.get(code) !== status) throw new Error(`${code} answers ${statuses.get(code)} and ${status}`);
    statuses.set(code, status);
  }
  return statuses;
}

describe('the OpenAPI document', () => {
  it('is structurally valid OpenAPI 3.0 and survives a JSON round trip', () => {
    expect(structuralProblems(doc)).toEqual([]);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    expect(doc.components?.securitySchemes?.['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components?.schemas?.['Error']).toMatchObject({ required: expect.arrayContaining(['code', 'message', 'requestId']) });
  });

  it('names every error code a route can answer, each under the status its error class uses', () => {
    const documented = documentedErrorCodes(doc);
    const codes = new Set(documented.map(([, , code]) => code));
    // RequestErrorCode.NotFound is not raised by any route of this app.
    const expected = [
      ...Object.values(UploadErrorCode),
      ...Object.values(AuthErrorCode),
      ...Object.values(TenancyAdminErrorCode),
      RequestErrorCode.ValidationFailed,
      RequestErrorCode.InvalidId,
      ...Object.values(PlatformErrorCode),
    ];
    expect(expected.filter((code) => !codes.has(code))).toEqual([]);

    const statuses = statusOfCode();
    const misplaced = documented
      .filter(([, status, code]) => statuses.get(code) !== status)
      .map(([route, status, code]) => `${route} ${status} ${code}`);
    expect(misplaced).toEqual([]);
  });

  it('documents request bodies with the real types of fields the service validates', () => {
    const init = doc.components?.schemas?.['InitUploadRequest'] as {
      properties: { files: { items: { properties: Record<string, { type?: string }> } } };
    };
    const entry = init.properties.files.items.properties;
    expect({
      path: entry['path'].type,
      size: entry['size'].type,
      sha256: entry['sha256'].type,
      contentType: entry['contentType'].type,
    }).toEqual({
      path: 'string',
      size: 'integer',
      sha256: 'string',
      contentType: 'string',
    });
  });
});

describe('the running app', () => {
  let app: NestExpressApplication;
  let baseUrl: string;

  beforeAll(async () => {
    const config = testConfig({ LOG_LEVEL: 'warn' });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
    configureApp(app, config);
    serveOpenApi(app, doc);
    await app.listen(0, '127.0.0.1');
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  it('documents exactly the routes Nest registers', () => {
    const registered = registeredRoutes(app);
    expect(registered.length).toBeGreaterThanOrEqual(12);
    expect([...new Set(registered)].sort()).toEqual(documentedRoutes(doc).sort());
  });

  it('serves the document and its UI without a token', async () => {
    const json = await fetch(`${baseUrl}/api/docs-json`);
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual(JSON.parse(JSON.stringify(doc)));
    const ui = await fetch(`${baseUrl}/api/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
    // The API itself still needs one.
    expect((await fetch(`${baseUrl}/api/uploads/policy`)).status).toBe(401);
  });
});

describe('the built upload-api bundle', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startBuiltApp('upload-api');
  }, 40_000);

  afterAll(async () => {
    await running?.stop('SIGKILL');
  });

  it('serves /api/docs-json without a token (main.ts wires it)', async () => {
    const res = await waitForStatus(running, '/api/docs-json');
    const served = (await res.json()) as OpenAPIObject;
    expect(documentedRoutes(served).sort()).toEqual(documentedRoutes(doc).sort());
  });
});
