/**
 * What the workspace tests share: a workspace manager run as its real production bundle
 * (its own node name, root and queue), HTTP helpers, and reads of what landed in the case.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TenantTransactions } from '@case-storage/persistence';
import { RunningApp, startBuiltApp, waitForStatus } from '@case-storage/testing';
import { DataSource } from 'typeorm';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field

export const SCRIPTED_AGENT = join(__dirname, 'scripted-agent.mjs');

export interface ManagerSpec {
  readonly node: string;
  readonly root: string;
  readonly env?: Record<string, string>;
}

/** A fresh node name and workspace root: each test file gets its own queue and directories. */
export function aNode(label: string): ManagerSpec {
  return { node: `${label}-${randomUUID().slice(0, 8)}`, root: mkdtempSync(join(tmpdir(), `${label}-`)) };
}

export async function startManager(spec: ManagerSpec): Promise<RunningApp> {
  const app = await startBuiltApp('workspace-manager', {
    LOG_LEVEL: 'warn',
    NODE_NAME: spec.node,
    WORKSPACE_ROOT: spec.root,
    WORKSPACE_AGENT_COMMAND: JSON.stringify([process.execPath, SCRIPTED_AGENT]),
    WORKSPACE_AGENT_TIMEOUT_SECONDS: '120',
    WORKSPACE_JOB_LOCK_MS: '3000',
    WORKSPACE_CLEANUP_INTERVAL_SECONDS: '1',
    ...spec.env,
  });
  await waitForStatus(app, '/health/ready', 200, 30_000);
  return app;
}

export async function call(app: RunningApp, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(app.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Polls GET /api/workspaces/{id} until `done` holds (or fails with the last answer and the manager's log). */
export async function waitForWorkspace(app: RunningApp, token: string, id: string, done: (ws: Json) => boolean, timeoutMs = 45_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  let last: Json;
  while (Date.now() < deadline) {
    const res = await call(app, 'GET', `/api/workspaces/${id}`, token);
    last = res.body;
    if (res.status === 200 && done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`workspace ${id} did not get there in ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${app.output().slice(-4000)}`);
}

export const ended = (ws: Json): boolean => ['completed', 'failed', 'deleted', 'expired'].includes(ws.status);

export interface CaseFileRow {
  path: string;
  kind: string;
  fileId: string;
  versionId: string | null;
  versions: number;
  currentNo: number | null;
  sha256: string | null;
  createdBy: string | null;
  derivedFromFileId: string | null;
  derivedFromVersionId: string | null;
}

/** Every live file of a case with its committed version count, read in the tenant's transaction. */
export async function caseFiles(ds: DataSource, tenantId: string, caseId: string): Promise<Map<string, CaseFileRow>> {
  const rows: CaseFileRow[] = await new TenantTransactions(ds).run(tenantId, (em) => em.query(
    `SELECT f.path, f.kind, f.id AS "fileId", f.current_version_id AS "versionId",
            (SELECT count(*)::int FROM file_versions x WHERE x.file_id = f.id AND x.status = 'committed') AS versions,
            v.version_no AS "currentNo", v.content_hash AS sha256, v.created_by AS "createdBy",
            f.derived_from_file_id AS "derivedFromFileId", f.derived_from_version_id AS "derivedFromVersionId"
       FROM files f LEFT JOIN file_versions v ON v.id = f.current_version_id
      WHERE f.case_id = $1 AND f.deleted_at IS NULL ORDER BY f.path`,
    [caseId],
  ));
  return new Map(rows.map((r) => [r.path, r]));
}
