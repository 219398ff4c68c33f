/**
 * Crash safety (issue #5, item 7): the workspace manager's real process is SIGKILLed in
 * the middle of a materialize, an agent run and a sync, then started again; each time the
 * workspace must reach the same end state as an uninterrupted run — no duplicate
 * versions, no lost agent output, no conflict with its own earlier write. Directories
 * that no workspace owns are removed at start-up.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { AppConfig } from '@case-storage/config';
import { createS3Client } from '@case-storage/object-storage';
import { TenantTransactions } from '@case-storage/persistence';
import { createTestDataSource, givenTenantWithCase, mintTestToken, RunningApp, storeCaseFiles, tenancyOf, testConfig } from '@case-storage/testing';
import { DataSource } from 'typeorm';
import { aNode, call, caseFiles, ended, Json, ManagerSpec, startManager, waitForWorkspace } from './testing/workspace-harness';

jest.setTimeout(180_000);

let config: AppConfig;
let ds: DataSource;
let s3: S3Client;
let node: ManagerSpec;
let manager: RunningApp | undefined;
let tenantId: string;
let editor: string;

const crashEnv = { WORKSPACE_DOWNLOAD_CONCURRENCY: '2', WORKSPACE_UPLOAD_CONCURRENCY: '2', WORKSPACE_JOB_LOCK_MS: '2500' };
const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const plan = (steps: unknown[]) => ({ path: 'agent-plan.json', body: Buffer.from(JSON.stringify(steps)) });

async function restart(): Promise<RunningApp> {
  manager = await startManager({ ...node, env: crashEnv });
  return manager;
}

async function kill(): Promise<void> {
  await manager?.stop('SIGKILL');
  manager = undefined;
}

async function newCase(files: Array<{ path: string; body: Buffer }>): Promise<string> {
  const { tenancy } = tenancyOf(ds);
  const caseId = (await tenancy.upsertCase(tenantId, { id: randomUUID(), title: 'Crash matter' })).id;
  await tenancy.setCaseMember(tenantId, caseId, 'editor', 'editor');
  await storeCaseFiles(ds, s3, config, { tenantId, caseId }, files);
  return caseId;
}

async function open(app: RunningApp, caseId: string): Promise<string> {
  const res = await call(app, 'POST', `/api/cases/${caseId}/workspaces`, editor, {});
  expect(res.status).toBe(202);
  return res.body.id as string;
}

/** Versions of the case by state: a crash may leave failed journal entries, never pending or duplicate committed ones. */
async function versionStates(caseId: string): Promise<Record<string, number>> {
  const rows: Array<{ status: string; n: number }> = await new TenantTransactions(ds).run(tenantId, (em) =>
    em.query(`SELECT v.status, count(*)::int AS n FROM file_versions v JOIN files f ON f.id = v.file_id WHERE f.case_id = $1 GROUP BY v.status`, [caseId]),
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function auditCount(caseId: string, action: string): Promise<number> {
  const rows: Array<{ n: number }> = await new TenantTransactions(ds).run(tenantId, (em) =>
    em.query(`SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1 AND action = $2`, [caseId, action]),
  );
  return rows[0].n;
}

beforeAll(async () => {
  config = testConfig({ LOG_LEVEL: 'warn' });
  ds = await createTestDataSource();
  s3 = createS3Client(config.s3);
  tenantId = (await givenTenantWithCase(ds)).tenant.id;
  editor = await mintTestToken(config, { subject: 'editor', tenantId });
  node = aNode('crash');
}, 60_000);

afterAll(async () => {
  await manager?.stop();
  s3?.destroy();
  await ds?.destroy();
});

describe('a workspace manager killed with SIGKILL', () => {
  it('removes directories that no workspace owns when it starts', async () => {
    const orphan = join(node.root, randomUUID(), randomUUID(), randomUUID());
    mkdirSync(orphan, { recursive: true });
    writeFileSync(join(orphan, 'left-behind.txt'), 'x');
    const staging = `${join(node.root, randomUUID(), randomUUID(), randomUUID())}.staging`;
    mkdirSync(staging, { recursive: true });
    const app = await restart();
    for (let i = 0; i < 100 && (existsSync(orphan) || existsSync(staging)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(staging)).toBe(false);
    expect(app.output()).toContain('removed a workspace directory that no workspace owns');
  });

  it('during materialize: started again, it lays the workspace out once and completes', async () => {
    const files = Array.from({ length: 800 }, (_, i) => ({ path: `exhibits/${String(i).padStart(4, '0')}.txt`, body: Buffer.from(`exhibit ${i}\n`.repeat(3000)) }));
    const caseId = await newCase([...files, plan([{ op: 'write', path: 'result.txt', content: 'agent result\n' }])]);
    const app = manager ?? (await restart());
    const id = await open(app, caseId);
    const mid = await waitForWorkspace(app, editor, id, (w) => w.status === 'materializing' && w.progress.filesDone > 0, 30_000);
    expect(mid.progress.filesDone).toBeLessThan(mid.progress.filesTotal);
    await kill();
    const dir = join(node.root, tenantId, caseId, id);
    expect(existsSync(`${dir}.staging`)).toBe(true);
    expect(existsSync(dir)).toBe(false);

    const ws = await waitForWorkspace(await restart(), editor, id, ended, 90_000);
    expect(ws).toMatchObject({ status: 'completed', error: null });
    expect(ws.progress.materialized.files).toBe(801);
    expect(existsSync(`${dir}.staging`)).toBe(false);
    const laidOut = readdirSync(join(dir, 'exhibits'));
    expect(laidOut).toHaveLength(800);
    expect(readFileSync(join(dir, 'exhibits', '0799.txt'), 'utf8')).toBe('exhibit 799\n'.repeat(3000));
    expect(ws.sync.created.map((c: Json) => c.path)).toEqual(['result.txt']);
    expect((await caseFiles(ds, tenantId, caseId)).get('result.txt')).toMatchObject({ versions: 1, sha256: sha256('agent result\n') });
    expect(await versionStates(caseId)).toEqual({ committed: 802 });
  });

  it('while the agent runs: started again, it waits for that agent and syncs its output once', async () => {
    const caseId = await newCase([
      plan([{ op: 'wait-for', path: 'go.signal' }, { op: 'delete', path: 'go.signal' }, { op: 'write', path: 'late.txt', content: 'written after the restart\n' }]),
    ]);
    const app = manager ?? (await restart());
    const id = await open(app, caseId);
    await waitForWorkspace(app, editor, id, (w) => w.status === 'running');
    await kill();
    const again = await restart();
    // The agent goes on only once the restarted manager has found it, so this cannot pass by timing.
    for (let i = 0; i < 300 && !again.output().includes('waiting for an agent started before this manager restarted'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(again.output()).toContain('waiting for an agent started before this manager restarted');
    writeFileSync(join(node.root, tenantId, caseId, id, 'go.signal'), '');
    const ws = await waitForWorkspace(again, editor, id, ended, 60_000);
    expect(ws.status).toBe('completed');
    // Attached to, not run twice: it ended by itself, after the restart.
    expect(ws.agent).toMatchObject({ state: 'exited', exitCode: null });
    expect(ws.sync.created.map((c: Json) => c.path)).toEqual(['late.txt']);
    expect((await caseFiles(ds, tenantId, caseId)).get('late.txt')).toMatchObject({ versions: 1, sha256: sha256('written after the restart\n') });
  });

  it('during sync, twice: started again, every output is committed exactly once and nothing conflicts with itself', async () => {
    const count = 300;
    const caseId = await newCase([
      { path: 'brief.txt', body: Buffer.from('the brief\n') },
      plan([
        { op: 'many', prefix: 'notes/note-', count, content: 'observation', repeat: 500 },
        { op: 'append', path: 'brief.txt', content: 'amended by the agent\n' },
      ]),
    ]);
    const app = manager ?? (await restart());
    const id = await open(app, caseId);
    await waitForWorkspace(app, editor, id, (w) => w.status === 'syncing' && w.progress.filesDone > 5, 60_000);
    await kill();
    // Killed again soon after the restart, possibly while it finishes the first attempt's journal.
    const second = await restart();
    await waitForWorkspace(second, editor, id, (w) => w.status === 'syncing' && w.progress.filesDone > 0, 60_000).catch(() => undefined);
    await kill();

    const ws = await waitForWorkspace(await restart(), editor, id, ended, 120_000);
    expect(ws).toMatchObject({ status: 'completed', error: null });
    expect(ws.sync.conflicts).toEqual([]);
    const files = await caseFiles(ds, tenantId, caseId);
    const notes = [...files.values()].filter((f) => f.path.startsWith('notes/'));
    expect(notes).toHaveLength(count);
    expect(notes.every((f) => f.versions === 1 && f.currentNo === 1)).toBe(true);
    expect(files.get('notes/note-7.txt')?.sha256).toBe(sha256('observation 7\n'.repeat(500)));
    expect(files.get('brief.txt')).toMatchObject({ versions: 2, currentNo: 2, sha256: sha256('the brief\namended by the agent\n') });
    expect([...files.keys()].some((p) => p.includes('agent conflict'))).toBe(false);
    const states = await versionStates(caseId);
    expect(states['pending']).toBeUndefined();
    expect(states['committed']).toBe(count + 3); // the notes, the agent plan, the brief's two versions
    expect(await auditCount(caseId, 'workspace.sync.created')).toBe(count);
    expect(await auditCount(caseId, 'workspace.sync.updated')).toBe(1);
    // The PUTs done before the first kill (at least the 6 reported) were found again, not written twice.
    const recovered: Array<{ n: number }> = await new TenantTransactions(ds).run(tenantId, (em) =>
      em.query(`SELECT count(*)::int AS n FROM audit_events WHERE case_id = $1 AND details->>'recovered' = 'true'`, [caseId]),
    );
    expect(recovered[0].n).toBeGreaterThanOrEqual(6);
  });
});
