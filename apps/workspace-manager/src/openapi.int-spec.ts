/**
 * The OpenAPI document against the app that serves it: structurally valid OpenAPI 3.0, in
 * step with the routes Nest really registers, naming every error code with the status its
 * error class really answers, public (no token) both in-process and from the built bundle,
 * and true to the JSON the API really answers through a workspace's whole life.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AuthError, AuthErrorCode } from '@case-storage/auth';
import { AppConfig } from '@case-storage/config';
import { RequestError, RequestErrorCode } from '@case-storage/domain';
import { createS3Client } from '@case-storage/object-storage';
import { TenantTransactions } from '@case-storage/persistence';
import { configureApp, OpenAPIObject, PlatformErrorCode, serveOpenApi } from '@case-storage/platform';
import {
  createTestDataSource,
  documentedErrorCodes,
  documentedRoutes,
  registeredRoutes,
  givenTenantWithCase,
  migrateTestDatabase,
  mintTestToken,
  RunningApp,
  startBuiltApp,
  storeCaseFiles,
  structuralProblems,
  tenancyOf,
  testConfig,
  waitForStatus,
} from '@case-storage/testing';
import { WORKSPACE_FAILURE_CODES, WorkspaceError, WorkspaceErrorCode } from '@case-storage/workspace';
import { DataSource } from 'typeorm';
import { AppModule } from './app/app.module';
import { buildWorkspaceManagerDocument } from './openapi';
import { aNode, SCRIPTED_AGENT } from './testing/workspace-harness';

type Json = Record<string, unknown>;
/** Workspace codes only a job records (the row's `error.code`), never an HTTP answer. */
const JOB_ONLY_CODES: readonly string[] = [WorkspaceErrorCode.CaseTooLarge, WorkspaceErrorCode.ContentMismatch, WorkspaceErrorCode.WorkspaceFailed, WorkspaceErrorCode.WorkspaceNotEmptied];
const doc: OpenAPIObject = buildWorkspaceManagerDocument();

/** The status each code really answers with, read from the error classes themselves. */
function statusOfCode(): Map<string, number> {
  const statuses = new Map<string, number>([
    [PlatformErrorCode.MalformedJson, 400],
    [PlatformErrorCode.PayloadTooLarge, 413],
    [PlatformErrorCode.Internal, 500],
  ]);
  for (const code of Object.values(WorkspaceErrorCode)) statuses.set(code, new WorkspaceError(code, '').httpStatus);
  for (const code of Object.values(AuthErrorCode)) statuses.set(code, new AuthError(code, '').httpStatus);
  for (const code of Object.values(RequestErrorCode)) statuses.set(code, new RequestError(code, '').httpStatus);
  return statuses;
}

/**
 * Where `value` departs from an OpenAPI 3.0 schema of this document (the subset it uses).
 * Strict on purpose: a field the API answers with but the document does not describe is
 * a problem too, since a frontend built from the document would not know it.
 */
function schemaProblems(value: unknown, schema: Json, at = '$'): string[] {
  const ref = schema['$ref'] as string | undefined;
  if (ref) return schemaProblems(value, doc.components?.schemas?.[ref.split('/').pop() as string] as Json, at);
  if (value === null) return schema['nullable'] === true ? [] : [`${at}: null, but not nullable`];
  const allOf = schema['allOf'] as Json[] | undefined;
  if (allOf) {
    const merged = allOf.map((branch) => resolve(branch));
    const known = new Set(merged.flatMap((branch) => Object.keys((branch['properties'] as Json | undefined) ?? {})));
    const unknown = typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).filter((k) => !known.has(k)) : [];
    return [
      ...merged.flatMap((branch) => schemaProblems(value, { ...branch, additionalProperties: {} }, at)),
      ...unknown.map((k) => `${at}.${k}: not documented`),
    ];
  }
  const problems: string[] = [];
  const enumValues = schema['enum'] as unknown[] | undefined;
  if (enumValues && !enumValues.includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(enumValues)}`);
  switch (schema['type']) {
    case 'string':
      if (typeof value !== 'string') return [`${at}: not a string`];
      if (schema['format'] === 'date-time' && !(/^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(Date.parse(value))))
        problems.push(`${at}: not a date-time`);
      if (schema['format'] === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
        problems.push(`${at}: not a uuid`);
      return problems;
    case 'integer':
      return Number.isInteger(value) ? problems : [`${at}: not an integer`];
    case 'number':
      return typeof value === 'number' ? problems : [`${at}: not a number`];
    case 'boolean':
      return typeof value === 'boolean' ? problems : [`${at}: not a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: not an array`];
      return [...problems, ...value.flatMap((item, i) => schemaProblems(item, schema['items'] as Json, `${at}[${i}]`))];
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
      const object = value as Json;
      const properties = (schema['properties'] as Record<string, Json> | undefined) ?? {};
      const extra = schema['additionalProperties'] as Json | boolean | undefined;
      for (const name of (schema['required'] as string[] | undefined) ?? [])
        if (!(name in object)) problems.push(`${at}.${name}: required, missing`);
      for (const [name, child] of Object.entries(object)) {
        if (properties[name]) problems.push(...schemaProblems(child, properties[name], `${at}.${name}`));
        else if (typeof extra === 'object') problems.push(...schemaProblems(child, extra, `${at}.${name}`));
        else problems.push(`${at}.${name}: not documented`);
      }
      return problems;
    }
    default:
      return problems;
  }
}

function resolve(schema: Json): Json {
  const ref = schema['$ref'] as string | undefined;
  return ref ? resolve(doc.components?.schemas?.[ref.split('/').pop() as string] as Json) : schema;
}

describe('the OpenAPI document', () => {
  it('is structurally valid OpenAPI 3.0 and survives a JSON round trip', () => {
    expect(structuralProblems(doc)).toEqual([]);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    expect(doc.components?.securitySchemes?.['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components?.schemas?.['Error']).toMatchObject({ required: expect.arrayContaining(['code', 'message', 'requestId']) });
  });

  it('names every error code a route can answer, each under the status its error class uses, and no other', () => {
    const documented = documentedErrorCodes(doc);
    // FORBIDDEN_ROLE: no route here has @Roles; NOT_FOUND: raised by no route of this app.
    const expected = [
      ...Object.values(WorkspaceErrorCode).filter((code) => !JOB_ONLY_CODES.includes(code)),
      ...Object.values(AuthErrorCode).filter((code) => code !== AuthErrorCode.ForbiddenRole),
      RequestErrorCode.ValidationFailed,
      RequestErrorCode.InvalidId,
      ...Object.values(PlatformErrorCode),
    ];
    expect([...new Set(documented.map(([, , code]) => code))].sort()).toEqual([...expected].sort());

    const statuses = statusOfCode();
    const misplaced = documented
      .filter(([, status, code]) => statuses.get(code) !== status)
      .map(([route, status, code]) => `${route} ${status} ${code}`);
    expect(misplaced).toEqual([]);
  });

  it('describes the codes a failed workspace records, which no route answers with', () => {
    expect(WORKSPACE_FAILURE_CODES).toEqual(expect.arrayContaining([...JOB_ONLY_CODES]));
    const error = (
      doc.components?.schemas?.['Workspace'] as { properties: Record<string, { properties: { code: { description: string } } }> }
    ).properties['error'];
    for (const code of WORKSPACE_FAILURE_CODES) expect(error.properties.code.description).toContain(code);
  });

  it('documents every status, phase and agent state a status page must handle', () => {
    const schemas = doc.components?.schemas as Record<string, Json>;
    const described = (name: string): string[] =>
      (schemas[name]['enum'] as string[]).filter((v) => !String(schemas[name]['description']).includes(`\`${v}\``));
    expect(described('WorkspaceStatus')).toEqual([]);
    expect(described('WorkspacePhase')).toEqual([]);
    const agentState = (schemas['AgentState']['properties'] as Record<string, Json>)['state'];
    expect((agentState['enum'] as string[]).filter((v) => !String(agentState['description']).includes(`\`${v}\``))).toEqual([]);
  });
});

describe('the running app', () => {
  let config: AppConfig;
  let app: NestExpressApplication;
  let baseUrl: string;
  let ds: DataSource;
  let s3: S3Client;
  let root: string;
  let tenantId: string;
  let editor: string;
  let viewer: string;
  /** Lets a waiting agent finish, so closing the app (which waits for its jobs) never hangs on a failed test. */
  const releases: string[] = [];

  /** Calls the API and checks the answer against the document: a listed status, a body its schema describes. */
  async function documentedCall(
    method: string,
    template: string,
    params: Record<string, string>,
    token: string | null,
    body?: string,
  ): Promise<{ status: number; body: Json }> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => params[name]);
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body,
    });
    const answer = { status: res.status, body: (await res.json()) as Json };
    const op = (doc.paths?.[template] as Record<string, Json> | undefined)?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${template} is not in the document`);
    const response = (op['responses'] as Record<string, Json>)[String(answer.status)];
    const schema = (response?.['content'] as Record<string, { schema: Json }> | undefined)?.['application/json']?.schema;
    const problems = schema ? schemaProblems(answer.body, schema) : [`status ${answer.status} is not documented`];
    expect({ call: `${method} ${path}`, status: answer.status, problems }).toEqual({
      call: `${method} ${path}`,
      status: answer.status,
      problems: [],
    });
    return answer;
  }

  const getWorkspace = (id: string, token = editor) => documentedCall('GET', '/api/workspaces/{workspaceId}', { workspaceId: id }, token);

  /** Polls GET (each answer checked against the document) until `done` holds; returns every answer seen. */
  async function follow(id: string, done: (ws: Json) => boolean, timeoutMs = 45_000): Promise<Json[]> {
    const seen: Json[] = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { status, body } = await getWorkspace(id);
      expect(status).toBe(200);
      seen.push(body);
      if (done(body)) return seen;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`workspace ${id} did not get there in ${timeoutMs} ms; last: ${JSON.stringify(seen[seen.length - 1])}`);
  }

  beforeAll(async () => {
    await migrateTestDatabase();
    const node = aNode('wm-openapi');
    root = node.root;
    config = testConfig({
      LOG_LEVEL: 'warn',
      NODE_NAME: node.node,
      WORKSPACE_ROOT: node.root,
      WORKSPACE_AGENT_COMMAND: JSON.stringify([process.execPath, SCRIPTED_AGENT]),
      WORKSPACE_AGENT_TIMEOUT_SECONDS: '120',
    });
    ds = await createTestDataSource();
    s3 = createS3Client(config.s3);
    tenantId = (await givenTenantWithCase(ds)).tenant.id;
    editor = await mintTestToken(config, { subject: 'editor', tenantId });
    viewer = await mintTestToken(config, { subject: 'viewer', tenantId });

    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
    configureApp(app, config);
    serveOpenApi(app, doc);
    await app.listen(0, '127.0.0.1');
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    for (const path of releases) if (existsSync(dirname(path))) writeFileSync(path, '');
    await app?.close();
    s3?.destroy();
    await ds?.destroy();
  });

  async function newCase(files: Array<{ path: string; body: Buffer }>): Promise<string> {
    const { tenancy } = tenancyOf(ds);
    const caseId = (await tenancy.upsertCase(tenantId, { id: randomUUID(), title: 'Documented matter' })).id;
    await tenancy.setCaseMember(tenantId, caseId, 'editor', 'editor');
    await tenancy.setCaseMember(tenantId, caseId, 'viewer', 'viewer');
    await storeCaseFiles(ds, s3, config, { tenantId, caseId }, files);
    return caseId;
  }

  it('documents exactly the routes Nest registers', () => {
    const registered = registeredRoutes(app);
    expect(registered.length).toBeGreaterThanOrEqual(7);
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
    expect((await fetch(`${baseUrl}/api/workspaces/${randomUUID()}`)).status).toBe(401);
  });

  it('answers as documented through a workspace’s whole life: running, synced on request, completed, synced again, deleted', async () => {
    const caseId = await newCase([
      { path: 'a.txt', body: Buffer.from('first\n') },
      { path: 'b.txt', body: Buffer.from('to be removed by the agent\n') },
      {
        path: 'agent-plan.json',
        body: Buffer.from(
          JSON.stringify([
            { op: 'write', path: 'out/one.txt', content: 'written while running\n' },
            { op: 'delete', path: 'b.txt' },
            { op: 'symlink', path: 'escape', target: '/etc/hostname' },
            { op: 'wait-for', path: '.go' },
            { op: 'write', path: 'a.txt', content: 'changed at the end\n' },
          ]),
        ),
      },
    ]);

    const created = await documentedCall(
      'POST',
      '/api/cases/{caseId}/workspaces',
      { caseId },
      editor,
      JSON.stringify({ ttlSeconds: 3600 }),
    );
    expect(created).toMatchObject({ status: 202, body: { status: 'queued', caseId, deleteRequested: false, sync: null, error: null } });
    const id = created.body['id'] as string;
    const go = join(root, tenantId, caseId, id, '.go');
    releases.push(go);

    const untilRunning = await follow(id, (ws) => ws['status'] === 'running');
    expect(untilRunning[untilRunning.length - 1]['agent']).toMatchObject({ state: 'running', runtime: 'local' });
    // Read-only for viewers; sync, DELETE and opening need an editor.
    expect((await getWorkspace(id, viewer)).status).toBe(200);
    expect((await documentedCall('POST', '/api/workspaces/{workspaceId}/sync', { workspaceId: id }, viewer)).body['code']).toBe(
      AuthErrorCode.InsufficientCaseRole,
    );
    expect((await documentedCall('DELETE', '/api/workspaces/{workspaceId}', { workspaceId: id }, viewer)).body['code']).toBe(
      AuthErrorCode.InsufficientCaseRole,
    );

    // A sync while the agent runs: the answer is the workspace before it; the result comes with GET.
    const requested = await documentedCall('POST', '/api/workspaces/{workspaceId}/sync', { workspaceId: id }, editor);
    expect(requested).toMatchObject({ status: 202, body: { status: 'running', sync: null } });
    const midRun = (await follow(id, (ws) => (ws['sync'] as Json | null)?.['count'] === 1)).pop() as Json;
    expect(midRun['status']).toBe('running');
    expect(midRun['sync']).toMatchObject({
      created: [{ path: 'out/one.txt', versionNo: 1 }],
      deleted: ['b.txt'],
      refused: [{ path: 'escape', reason: 'symlink' }],
    });

    writeFileSync(go, ''); // synced too: a new file `.go` in the case
    const completed = (await follow(id, (ws) => ws['status'] === 'completed')).pop() as Json;
    expect(completed).toMatchObject({
      agent: { state: 'exited', exitCode: 0 },
      progress: { phase: 'done' },
      sync: { count: 2, updated: [{ path: 'a.txt', versionNo: 2 }] },
    });
    expect(completed['endedAt']).toEqual(expect.any(String));

    // Completed is not the end: it syncs again on request (nothing changed), then goes on DELETE.
    expect((await documentedCall('POST', '/api/workspaces/{workspaceId}/sync', { workspaceId: id }, editor)).status).toBe(202);
    const again = (await follow(id, (ws) => (ws['sync'] as Json)['count'] === 3)).pop() as Json;
    // `deleted` and `refused` describe the workspace as it is: every sync reports them again.
    expect(again['sync']).toMatchObject({
      created: [],
      updated: [],
      conflicts: [],
      deleted: ['b.txt'],
      refused: [{ path: 'escape' }],
      bytesUploaded: 0,
    });

    const removing = await documentedCall('DELETE', '/api/workspaces/{workspaceId}', { workspaceId: id }, editor);
    expect(removing).toMatchObject({ status: 202, body: { deleteRequested: true } });
    await follow(id, (ws) => ws['status'] === 'deleted');
    expect(await documentedCall('DELETE', '/api/workspaces/{workspaceId}', { workspaceId: id }, editor)).toMatchObject({
      status: 202,
      body: { status: 'deleted' },
    });
    expect((await documentedCall('POST', '/api/workspaces/{workspaceId}/sync', { workspaceId: id }, editor)).body['code']).toBe(
      WorkspaceErrorCode.WorkspaceEnded,
    );
  }, 120_000);

  it('answers refusals and recorded failures as documented', async () => {
    const caseId = await newCase([]);
    const open = (body: string | undefined, token: string | null = editor, id = caseId) =>
      documentedCall('POST', '/api/cases/{caseId}/workspaces', { caseId: id }, token, body);
    const codeOf = async (answer: Promise<{ body: Json }>) => (await answer).body['code'];

    expect(await codeOf(open('{}', null))).toBe(AuthErrorCode.MissingToken);
    expect(await codeOf(open('{}', 'not-a-token'))).toBe(AuthErrorCode.InvalidToken);
    expect(await codeOf(open('{"ttlSeconds":'))).toBe(PlatformErrorCode.MalformedJson);
    expect(await codeOf(open(JSON.stringify({ ttlSeconds: 10 })))).toBe(RequestErrorCode.ValidationFailed);
    expect(await codeOf(open(JSON.stringify({ agent: 'other' })))).toBe(RequestErrorCode.ValidationFailed);
    const tooLong = await open(JSON.stringify({ ttlSeconds: config.workspaces.maxTtlSeconds + 1 }));
    expect(tooLong.body).toMatchObject({ code: WorkspaceErrorCode.TtlTooLong, details: { max: config.workspaces.maxTtlSeconds } });
    expect(await codeOf(open('{}', editor, 'not-a-uuid'))).toBe(RequestErrorCode.InvalidId);
    expect(await codeOf(open('{}', editor, randomUUID()))).toBe(AuthErrorCode.CaseNotFound);
    expect(await codeOf(open('{}', viewer))).toBe(AuthErrorCode.InsufficientCaseRole);

    expect(await codeOf(getWorkspace('not-a-uuid'))).toBe(RequestErrorCode.InvalidId);
    expect(await codeOf(getWorkspace(randomUUID()))).toBe(WorkspaceErrorCode.WorkspaceNotFound);

    // Rows as a job leaves them, on a node with no manager (nothing picks them up): one not
    // materialized yet, one failed with a recorded error.
    const queued = randomUUID();
    const failed = randomUUID();
    await new TenantTransactions(ds).run(tenantId, (em) =>
      em.query(
        `INSERT INTO workspaces (id, tenant_id, case_id, node_name, status, created_by, expires_at, progress, error, ended_at) VALUES
           ($1, $3, $4, 'elsewhere', 'queued', 'editor', now() + interval '1 hour', '{"phase":"queued"}', NULL, NULL),
           ($2, $3, $4, 'elsewhere', 'failed', 'editor', now() + interval '1 hour', '{"phase":"materializing","filesDone":0,"filesTotal":3}', $5, now())`,
        [
          queued,
          failed,
          tenantId,
          caseId,
          JSON.stringify({ code: WorkspaceErrorCode.CaseTooLarge, message: 'The case has too many files.' }),
        ],
      ),
    );
    expect(await codeOf(documentedCall('POST', '/api/workspaces/{workspaceId}/sync', { workspaceId: queued }, editor))).toBe(
      WorkspaceErrorCode.WorkspaceNotReady,
    );
    expect((await getWorkspace(failed)).body).toMatchObject({
      status: 'failed',
      error: { code: WorkspaceErrorCode.CaseTooLarge },
      agent: {},
      sync: null,
    });
  });
});

describe('the built workspace-manager bundle', () => {
  let running: RunningApp;

  beforeAll(async () => {
    const node = aNode('wm-openapi-bundle');
    running = await startBuiltApp('workspace-manager', { LOG_LEVEL: 'warn', NODE_NAME: node.node, WORKSPACE_ROOT: node.root });
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
