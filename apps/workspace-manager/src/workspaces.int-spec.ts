/**
 * The workspace manager end to end, as its production bundle, against the real
 * PostgreSQL, Redis and S3 server, with real agent processes: materialize, the default
 * Markdown agent, sync back with derived links, conflicts with a user's upload, hostile
 * files, duplicates, tenancy and bad input, removal and expiry.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AppConfig } from '@case-storage/config';
import { objectKeyOf } from '@case-storage/domain';
import { createS3Client } from '@case-storage/object-storage';
import { TenantTransactions } from '@case-storage/persistence';
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

async function newCase(files: Array<{ path: string; body: Buffer; contentType?: string }>): Promise<{ caseId: string; stored: Awaited<ReturnType<typeof storeCaseFiles>> }> {
  const { tenancy } = tenancyOf(ds);
  const caseId = (await tenancy.upsertCase(tenantId, { id: randomUUID(), title: 'Matter' })).id;
  await tenancy.setCaseMember(tenantId, caseId, 'editor', 'editor');
  await tenancy.setCaseMember(tenantId, caseId, 'viewer', 'viewer');
  return { caseId, stored: await storeCaseFiles(ds, s3, config, { tenantId, caseId }, files) };
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
