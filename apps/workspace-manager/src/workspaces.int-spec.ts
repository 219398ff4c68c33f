/**
 * The workspace manager end to end, as its production bundle, against the real
 * PostgreSQL, Redis and S3 server, with real agent processes: materialize, the default
 * Markdown agent, sync back with derived links, conflicts with a user's upload, hostile
 * files, duplicates, tenancy and bad input, removal and expiry.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { AppConfig } from '@case-storage/config';
import { objectKeyOf } from '@case-storage/domain';
import { createS3Client, ObjectStore } from '@case-storage/object-storage';
import { TenantTransactions } from '@case-storage/persistence';
import { WorkspaceJob, workspaceNodeQueue } from '@case-storage/queue-contracts';
import { bullConnectionOptions, QUEUE_PREFIX } from '@case-storage/redis';
import {
  createTestDataSource,
  givenTenantWithCase,
  mintTestToken,
  RunningApp,
  SAMPLE,
  sampleDocx,
  sampleHtml,
  samplePdf,
  startBuiltApp,
  storeCaseFiles,
  tenancyOf,
  testConfig,
  uploadFiles,
  waitForStatus,
} from '@case-storage/testing';
import { DataSource } from 'typeorm';
import { aNode, call, caseFiles, ended, Json, ManagerSpec, startManager, waitForWorkspace } from './testing/workspace-harness';

jest.setTimeout(120_000);

let config: AppConfig;
let ds: DataSource;
let s3: S3Client;
let node: ManagerSpec;
let manager: RunningApp;
let uploadApi: RunningApp;
let tenantId: string;
let editor: string;
let viewer: string;

async function newCase(files: Array<{ path: string; body: Buffer; contentType?: string }>): Promise<{ caseId: string; stored: Awaited<ReturnType<typeof storeCaseFiles>> }> {
  const { tenancy } = tenancyOf(ds);
  const caseId = (await tenancy.upsertCase(tenantId, { id: randomUUID(), title: 'Matter' })).id;
  await tenancy.setCaseMember(tenantId, caseId, 'editor', 'editor');
  await tenancy.setCaseMember(tenantId, caseId, 'viewer', 'viewer');
  return { caseId, stored: await storeCaseFiles(ds, s3, config, { tenantId, caseId }, files) };
}

const plan = (steps: unknown[]) => ({ path: 'agent-plan.json', body: Buffer.from(JSON.stringify(steps)) });
const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const dirOf = (caseId: string, id: string): string => join(node.root, tenantId, caseId, id);

async function auditCounts(caseId: string): Promise<Record<string, number>> {
  const rows: Array<{ action: string; n: number }> = await new TenantTransactions(ds).run(tenantId, (em) =>
    em.query(`SELECT action, count(*)::int AS n FROM audit_events WHERE case_id = $1 GROUP BY action`, [caseId]),
  );
  return Object.fromEntries(rows.map((r) => [r.action, r.n]));
}

async function workspaceCount(caseId: string): Promise<number> {
  const rows: Array<{ n: number }> = await new TenantTransactions(ds).run(tenantId, (em) => em.query(`SELECT count(*)::int AS n FROM workspaces WHERE case_id = $1`, [caseId]));
  return rows[0].n;
}

async function open(caseId: string, body: unknown = {}): Promise<string> {
  const res = await call(manager, 'POST', `/api/cases/${caseId}/workspaces`, editor, body);
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function objectText(tenant: string, caseId: string, fileId: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: config.s3.bucket, Key: objectKeyOf(tenant, caseId, fileId) }));
  return out.Body ? out.Body.transformToString() : '';
}

beforeAll(async () => {
  config = testConfig({ LOG_LEVEL: 'warn' });
  ds = await createTestDataSource();
  s3 = createS3Client(config.s3);
  tenantId = (await givenTenantWithCase(ds)).tenant.id;
  editor = await mintTestToken(config, { subject: 'editor', tenantId });
  viewer = await mintTestToken(config, { subject: 'viewer', tenantId });
  node = aNode('wm');
  [manager, uploadApi] = await Promise.all([startManager(node), startBuiltApp('upload-api', { LOG_LEVEL: 'warn' })]);
  await waitForStatus(uploadApi, '/health/ready', 200, 30_000);
}, 90_000);

afterAll(async () => {
  await Promise.all([manager?.stop(), uploadApi?.stop()]);
  s3?.destroy();
  await ds?.destroy();
});

describe('a workspace with the default agent', () => {
  it('materializes the case, converts PDF, DOCX, HTML and text to Markdown and syncs them back as derivatives', async () => {
    const { caseId, stored } = await newCase([
      { path: 'pleadings/brief.pdf', body: await samplePdf(), contentType: 'application/pdf' },
      { path: 'memo.docx', body: await sampleDocx() },
      { path: 'notes/hearing.html', body: Buffer.from(sampleHtml()), contentType: 'text/html' },
      { path: 'todo.txt', body: Buffer.from(SAMPLE.text), contentType: 'text/plain' },
    ]);
    const id = await open(caseId);
    const ws = await waitForWorkspace(manager, editor, id, ended);
    if (ws.status !== 'completed') console.log(manager.output());

    expect(ws).toMatchObject({ status: 'completed', caseId, node: node.node, error: null });
    expect(ws.progress).toMatchObject({ phase: 'done', materialized: { files: 4, bytes: stored.reduce((n, f) => n + f.size, 0) } });
    expect(ws.agent).toMatchObject({ state: 'exited', exitCode: 0, runtime: 'local' });
    expect(ws.sync.created.map((c: Json) => c.path).sort()).toEqual(['memo.docx.md', 'notes/hearing.html.md', 'pleadings/brief.pdf.md', 'todo.txt.md']);
    expect(ws.sync.created.every((c: Json) => c.versionNo === 1)).toBe(true);
    expect(ws.sync).toMatchObject({ updated: [], conflicts: [], deleted: [], refused: [], retry: [], count: 1 });

    const files = await caseFiles(ds, tenantId, caseId);
    for (const source of stored) {
      const md = files.get(`${source.path}.md`);
      expect(md).toMatchObject({ kind: 'derived', derivedFromFileId: source.fileId, derivedFromVersionId: source.versionId, currentNo: 1, versions: 1 });
      expect(md?.createdBy).toBe(`workspace:${id}`);
    }
    const pdfMd = await objectText(tenantId, caseId, files.get('pleadings/brief.pdf.md')?.fileId as string);
    expect(pdfMd).toContain(SAMPLE.pdf[1]);
    const htmlMd = await objectText(tenantId, caseId, files.get('notes/hearing.html.md')?.fileId as string);
    expect(htmlMd).toContain(SAMPLE.html.paragraph);
    expect(htmlMd).not.toContain(SAMPLE.html.script);

    const audit: Array<{ action: string; n: number }> = await new TenantTransactions(ds).run(tenantId, (em) =>
      em.query(`SELECT action, count(*)::int AS n FROM audit_events WHERE case_id = $1 GROUP BY action ORDER BY action`, [caseId]),
    );
    expect(audit).toEqual([
      { action: 'workspace.created', n: 1 },
      { action: 'workspace.sync.created', n: 4 },
    ]);
  });

  it('makes a second workspace of the same case on the same node without downloading unchanged bytes', async () => {
    const { caseId } = await newCase([
      { path: 'a.txt', body: Buffer.from('alpha '.repeat(10_000)) },
      { path: 'b.txt', body: Buffer.from('beta '.repeat(10_000)) },
    ]);
    const first = await waitForWorkspace(manager, editor, await open(caseId), ended);
    expect(first.status).toBe('completed');
    expect(first.progress.materialized).toMatchObject({ files: 2, bytes: 110_000, bytesDownloaded: 110_000 });

    const second = await waitForWorkspace(manager, editor, await open(caseId), ended);
    expect(second.status).toBe('completed');
    // Four files now (two sources, two derivatives): the derivatives came from this node's sync, the rest from its cache.
    const { materialized } = second.progress;
    expect(materialized.files).toBe(4);
    // The sources came from this node's content store, the derivatives too (the sync kept what it uploaded).
    expect(materialized.bytes).toBeGreaterThan(110_000);
    expect(materialized.bytesDownloaded).toBe(0);
    // The agent found the derivatives up to date: nothing new.
    expect(second.sync).toMatchObject({ created: [], updated: [], conflicts: [] });
  });
});

describe('sync back', () => {
  it('relinks a derivative the agent made again, identical, from a newer version of its source', async () => {
    const { caseId } = await newCase([{ path: 'memo.txt', body: Buffer.from('Meet the client on Friday.\n') }]);
    const first = await waitForWorkspace(manager, editor, await open(caseId), ended);
    expect(first.sync.created.map((c: Json) => c.path)).toEqual(['memo.txt.md']);
    // The same bytes uploaded again: a new version of the source, so the derivative must be redone (and is the same).
    await uploadFiles(uploadApi.url, editor, caseId, [{ path: 'memo.txt', contentType: 'text/plain', body: Buffer.from('Meet the client on Friday.\n') }]);
    const v2 = (await caseFiles(ds, tenantId, caseId)).get('memo.txt');
    expect(v2).toMatchObject({ currentNo: 2 });

    const second = await waitForWorkspace(manager, editor, await open(caseId), ended);
    expect(second.sync).toMatchObject({ created: [], updated: [], relinked: ['memo.txt.md'] });
    expect((await caseFiles(ds, tenantId, caseId)).get('memo.txt.md')).toMatchObject({ versions: 1, derivedFromVersionId: v2?.versionId });
  });

  it("keeps the agent's bytes as a conflict copy when a user uploads the same file meanwhile, and only reports deletions", async () => {
    const { caseId, stored } = await newCase([
      { path: 'notes.txt', body: Buffer.from('first draft\n') },
      { path: 'old.txt', body: Buffer.from('old\n') },
      plan([
        { op: 'wait-for', path: 'go.signal' },
        { op: 'delete', path: 'go.signal' },
        { op: 'write', path: 'notes.txt', content: 'agent edit\n' },
        { op: 'delete', path: 'old.txt' },
        { op: 'write', path: 'summary.md', content: '# Summary\n' },
      ]),
    ]);
    const id = await open(caseId);
    await waitForWorkspace(manager, editor, id, (ws) => ws.status === 'running');
    // A lawyer saves a new version of the same file through the real pre-signed flow while the agent works.
    await uploadFiles(uploadApi.url, editor, caseId, [{ path: 'notes.txt', contentType: 'text/plain', body: Buffer.from('user edit\n') }]);
    writeFileSync(join(dirOf(caseId, id), 'go.signal'), '');
    const ws = await waitForWorkspace(manager, editor, id, ended);

    const copy = `notes (agent conflict ${id.slice(0, 8)}).txt`;
    expect(ws.status).toBe('completed');
    expect(ws.sync.conflicts).toEqual([expect.objectContaining({ source: 'notes.txt', path: copy, reason: 'changed-in-case', versionNo: 1 })]);
    expect(ws.sync.created.map((c: Json) => c.path)).toEqual(['summary.md']);
    expect(ws.sync.deleted).toEqual(['old.txt']);
    const files = await caseFiles(ds, tenantId, caseId);
    expect(files.get('notes.txt')).toMatchObject({ versions: 2, currentNo: 2, sha256: sha256('user edit\n'), fileId: stored[0].fileId });
    expect(files.get(copy)).toMatchObject({ versions: 1, sha256: sha256('agent edit\n'), createdBy: `workspace:${id}` });
    expect(files.get('old.txt')).toMatchObject({ versions: 1, sha256: sha256('old\n') });
    expect(await auditCounts(caseId)).toMatchObject({ 'workspace.sync.conflict-copy': 1, 'workspace.sync.created': 1 });
  });

  it("loses the storage race gracefully: a 412 on If-Match sends the agent's bytes to a conflict copy", async () => {
    const { caseId, stored } = await newCase([
      { path: 'draft.txt', body: Buffer.from('v1\n') },
      plan([{ op: 'wait-for', path: 'go.signal' }, { op: 'delete', path: 'go.signal' }, { op: 'write', path: 'draft.txt', content: 'agent v2\n' }]),
    ]);
    const id = await open(caseId);
    await waitForWorkspace(manager, editor, id, (ws) => ws.status === 'running');
    // Someone's upload has reached storage (over the same ETag) but is not committed yet: only S3 knows.
    const [draft] = stored;
    await new ObjectStore(s3, config).putObject({
      key: objectKeyOf(tenantId, caseId, draft.fileId),
      body: Buffer.from('user v2\n'),
      contentLength: 8,
      contentType: 'text/plain',
      sha256Base64: createHash('sha256').update('user v2\n').digest('base64'),
      condition: { ifMatch: draft.etag },
    });
    writeFileSync(join(dirOf(caseId, id), 'go.signal'), '');
    const ws = await waitForWorkspace(manager, editor, id, ended);
    expect(ws.sync.conflicts).toEqual([expect.objectContaining({ source: 'draft.txt', reason: 'changed-in-case' })]);
    expect(ws.sync.updated).toEqual([]);
    const files = await caseFiles(ds, tenantId, caseId);
    expect(files.get('draft.txt')).toMatchObject({ versions: 1, sha256: sha256('v1\n') });
    expect(files.get(`draft (agent conflict ${id.slice(0, 8)}).txt`)).toMatchObject({ versions: 1, sha256: sha256('agent v2\n') });
  });

  it('writes a new version over the baseline ETag when nobody else changed the file', async () => {
    const { caseId, stored } = await newCase([
      { path: 'contract.txt', body: Buffer.from('clause 1\n') },
      plan([{ op: 'append', path: 'contract.txt', content: 'clause 2\n' }]),
    ]);
    const ws = await waitForWorkspace(manager, editor, await open(caseId), ended);
    expect(ws.sync.updated).toEqual([expect.objectContaining({ path: 'contract.txt', fileId: stored[0].fileId, versionNo: 2 })]);
    expect((await caseFiles(ds, tenantId, caseId)).get('contract.txt')).toMatchObject({ versions: 2, sha256: sha256('clause 1\nclause 2\n') });
  });

  it('never follows, reads or uploads links, FIFOs, hard links or names the path rules refuse, and reports each', async () => {
    const outside = join(mkdtempSync(join(tmpdir(), 'outside-')), 'secret.txt');
    writeFileSync(outside, 'not for the case');
    const neighbour = join(node.root, randomUUID(), randomUUID(), randomUUID());
    mkdirSync(neighbour, { recursive: true });
    writeFileSync(join(neighbour, 'privileged.txt'), 'another tenant');
    const { caseId } = await newCase([
      plan([
        { op: 'write', path: 'ok.txt', content: 'fine' },
        { op: 'symlink', path: 'passwd.txt', target: '/etc/passwd' },
        { op: 'symlink', path: 'neighbour.txt', target: join(neighbour, 'privileged.txt') },
        { op: 'symlink', path: 'etc', target: '/etc' },
        { op: 'symlink', path: 'up', target: '..' },
        { op: 'fifo', path: 'pipe' },
        { op: 'hardlink', path: 'linked.txt', target: outside },
        { op: 'write', path: 'bad\nname.txt', content: 'x' },
        { op: 'write', path: 'back\\..\\slash.txt', content: 'x' },
      ]),
    ]);
    const ws = await waitForWorkspace(manager, editor, await open(caseId), ended);

    expect(ws.status).toBe('completed');
    expect(ws.sync.created.map((c: Json) => c.path)).toEqual(['ok.txt']);
    const refused = Object.fromEntries(ws.sync.refused.map((r: Json) => [r.path, r.reason]));
    expect(refused).toEqual({
      'passwd.txt': 'symlink',
      'neighbour.txt': 'symlink',
      etc: 'symlink',
      up: 'symlink',
      pipe: 'fifo',
      'linked.txt': 'hard-link',
      'bad\nname.txt': 'invalid-name',
      'back\\..\\slash.txt': 'invalid-name',
    });
    expect([...(await caseFiles(ds, tenantId, caseId)).keys()].sort()).toEqual(['agent-plan.json', 'ok.txt']);
  });

  it('reports, and keeps on disk, a new file whose path would turn a file of the case into a folder', async () => {
    const { caseId } = await newCase([
      { path: 'exhibit.pdf', body: Buffer.from('%PDF-1.4 not really\n') },
      plan([{ op: 'delete', path: 'exhibit.pdf' }, { op: 'write', path: 'exhibit.pdf/page-1.txt', content: 'page one' }]),
    ]);
    const ws = await waitForWorkspace(manager, editor, await open(caseId), ended);
    expect(ws.status).toBe('completed');
    expect(ws.sync.created).toEqual([]);
    expect(ws.sync.deleted).toEqual(['exhibit.pdf']);
    expect(ws.sync.retry).toEqual([expect.objectContaining({ path: 'exhibit.pdf/page-1.txt' })]);
    expect([...(await caseFiles(ds, tenantId, caseId)).keys()].sort()).toEqual(['agent-plan.json', 'exhibit.pdf']);

    // Removing the workspace would lose that file: the removal waits, says why, and keeps the directory.
    expect((await call(manager, 'DELETE', `/api/workspaces/${ws.id}`, editor)).status).toBe(202);
    const kept = await waitForWorkspace(manager, editor, ws.id, (w) => w.error?.code === 'WORKSPACE_NOT_EMPTIED');
    expect(kept).toMatchObject({ status: 'completed', deleteRequested: true });
    expect(existsSync(join(dirOf(caseId, ws.id), 'exhibit.pdf', 'page-1.txt'))).toBe(true);
  });

  it("never serves an unverified version from the node's shared store: its bytes are fetched and checked", async () => {
    const secret = Buffer.from('privileged memo of another tenant\n'.repeat(100));
    // Another tenant's document, now in this node's content store.
    const otherTenant = (await givenTenantWithCase(ds)).tenant.id;
    const { tenancy } = tenancyOf(ds);
    const otherCase = (await tenancy.upsertCase(otherTenant, { id: randomUUID(), title: 'Other' })).id;
    await tenancy.setCaseMember(otherTenant, otherCase, 'editor', 'editor');
    await storeCaseFiles(ds, s3, config, { tenantId: otherTenant, caseId: otherCase }, [{ path: 'memo.txt', body: secret }]);
    const otherEditor = await mintTestToken(config, { subject: 'editor', tenantId: otherTenant });
    const first = await call(manager, 'POST', `/api/cases/${otherCase}/workspaces`, otherEditor, {});
    expect((await waitForWorkspace(manager, otherEditor, first.body.id, ended)).status).toBe('completed');

    // Here: a multipart upload that claimed that document's SHA-256 and size, with other bytes, not verified yet.
    const { caseId, stored } = await newCase([{ path: 'claimed.txt', body: Buffer.alloc(secret.length, 'x') }]);
    await new TenantTransactions(ds).run(tenantId, (em) =>
      em.query(`UPDATE file_versions SET content_hash = $2, verified_at = NULL WHERE id = $1`, [stored[0].versionId, sha256(secret)]),
    );
    const id = await open(caseId);
    const ws = await waitForWorkspace(manager, editor, id, ended);
    expect(ws).toMatchObject({ status: 'failed', error: { code: 'CONTENT_MISMATCH' } });
    expect(existsSync(dirOf(caseId, id))).toBe(false);
  });
});

describe('jobs', () => {
  it('collapses a duplicate job of a workspace into the one already queued: one run, one version', async () => {
    const { caseId } = await newCase([plan([{ op: 'write', path: 'out.txt', content: 'once\n' }])]);
    const id = await open(caseId);
    const queue = new Queue(workspaceNodeQueue(node.node), { connection: bullConnectionOptions(config.redis.url), prefix: QUEUE_PREFIX });
    try {
      const ref = { tenantId, caseId, workspaceId: id };
      await Promise.all([queue.add(WorkspaceJob.Run, ref, { jobId: id }), queue.add(WorkspaceJob.Run, ref, { jobId: id })]);
      const ws = await waitForWorkspace(manager, editor, id, ended);
      expect(ws.status).toBe('completed');
      const jobs = await queue.getJobs(['completed', 'failed', 'active', 'wait', 'delayed']);
      expect(jobs.filter((j) => j.id === id)).toHaveLength(1);
      // Asked again after the end: still no second run.
      await queue.add(WorkspaceJob.Run, ref, { jobId: id });
      const again = await call(manager, 'POST', `/api/workspaces/${id}/sync`, editor);
      expect(again.status).toBe(202);
      const resynced = await waitForWorkspace(manager, editor, id, (w) => w.sync.count >= 2);
      expect(resynced.sync).toMatchObject({ created: [], updated: [], conflicts: [] });
    } finally {
      await queue.close();
    }
    expect((await caseFiles(ds, tenantId, caseId)).get('out.txt')).toMatchObject({ versions: 1 });
    expect(await auditCounts(caseId)).toMatchObject({ 'workspace.sync.created': 1 });
  });
});

describe('API rules', () => {
  it('refuses bad input with a stable code and writes nothing', async () => {
    const { caseId } = await newCase([{ path: 'a.txt', body: Buffer.from('a') }]);
    const before = await workspaceCount(caseId);
    const tooLong = await call(manager, 'POST', `/api/cases/${caseId}/workspaces`, editor, { ttlSeconds: 10 * 365 * 24 * 3600 });
    expect(tooLong).toMatchObject({ status: 400, body: { code: 'TTL_TOO_LONG' } });
    const unknownField = await call(manager, 'POST', `/api/cases/${caseId}/workspaces`, editor, { agent: 'rm -rf /' });
    expect(unknownField).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect((await call(manager, 'POST', `/api/cases/not-a-case/workspaces`, editor, {})).body.code).toBe('INVALID_ID');
    expect((await call(manager, 'GET', `/api/workspaces/not-a-uuid`, editor)).body.code).toBe('INVALID_ID');
    expect((await call(manager, 'GET', `/api/workspaces/${randomUUID()}`, editor)).status).toBe(404);
    expect((await call(manager, 'POST', `/api/cases/${caseId}/workspaces`, null, {})).status).toBe(401);
    expect(await workspaceCount(caseId)).toBe(before);
  });

  it('lets viewers read but not open, sync or delete, and hides workspaces from other tenants and non-members', async () => {
    const { caseId } = await newCase([plan([])]);
    const id = await open(caseId);
    expect((await call(manager, 'POST', `/api/cases/${caseId}/workspaces`, viewer, {})).body.code).toBe('INSUFFICIENT_CASE_ROLE');
    expect((await call(manager, 'GET', `/api/workspaces/${id}`, viewer)).status).toBe(200);
    expect((await call(manager, 'POST', `/api/workspaces/${id}/sync`, viewer)).body.code).toBe('INSUFFICIENT_CASE_ROLE');
    expect((await call(manager, 'DELETE', `/api/workspaces/${id}`, viewer)).body.code).toBe('INSUFFICIENT_CASE_ROLE');

    const outsider = await mintTestToken(config, { subject: 'outsider', tenantId });
    const otherTenant = (await givenTenantWithCase(ds)).tenant.id;
    const stranger = await mintTestToken(config, { subject: 'editor', tenantId: otherTenant });
    for (const token of [outsider, stranger]) {
      expect(await call(manager, 'GET', `/api/workspaces/${id}`, token)).toMatchObject({ status: 404, body: { code: 'WORKSPACE_NOT_FOUND' } });
      expect((await call(manager, 'DELETE', `/api/workspaces/${id}`, token)).status).toBe(404);
    }
    expect((await call(manager, 'POST', `/api/cases/${caseId}/workspaces`, stranger, {})).body.code).toBe('CASE_NOT_FOUND');
    expect((await waitForWorkspace(manager, editor, id, ended)).status).toBe('completed');
  });
});

describe('ending a workspace', () => {
  it('DELETE stops a running agent, keeps what it wrote and removes the directory', async () => {
    const { caseId } = await newCase([plan([{ op: 'write', path: 'draft.txt', content: 'half done\n' }, { op: 'sleep', ms: 60_000 }])]);
    const id = await open(caseId);
    await waitForWorkspace(manager, editor, id, (ws) => ws.status === 'running' && existsSync(join(dirOf(caseId, id), 'draft.txt')));
    const del = await call(manager, 'DELETE', `/api/workspaces/${id}`, editor);
    expect(del).toMatchObject({ status: 202, body: { deleteRequested: true } });
    const ws = await waitForWorkspace(manager, editor, id, (w) => w.status === 'deleted');
    expect(ws.agent.state).toBe('stopped');
    expect(ws.sync.created.map((c: Json) => c.path)).toEqual(['draft.txt']);
    expect(existsSync(dirOf(caseId, id))).toBe(false);
    expect((await caseFiles(ds, tenantId, caseId)).get('draft.txt')).toMatchObject({ sha256: sha256('half done\n') });
    expect((await call(manager, 'POST', `/api/workspaces/${id}/sync`, editor)).body.code).toBe('WORKSPACE_ENDED');
  });

  it('removes a workspace past its TTL', async () => {
    const { caseId } = await newCase([plan([])]);
    const id = await open(caseId);
    await waitForWorkspace(manager, editor, id, ended);
    expect(existsSync(dirOf(caseId, id))).toBe(true);
    await new TenantTransactions(ds).run(tenantId, (em) => em.query(`UPDATE workspaces SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]));
    const ws = await waitForWorkspace(manager, editor, id, (w) => w.status === 'expired');
    expect(ws.endedAt).not.toBeNull();
    expect(existsSync(dirOf(caseId, id))).toBe(false);
  });
});
