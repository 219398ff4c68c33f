import { Injectable } from '@nestjs/common';
import { parentFolders } from '@case-storage/domain';
import { commitPendingVersions, endPendingVersion, retireFileIfEmpty, returnedRows, WorkspaceStatus } from '@case-storage/persistence';
import { DataSource, EntityManager } from 'typeorm';
import { BaselineEntry } from './sync-plan';

/** What the agent is doing, as recorded on the workspace row. */
export interface AgentState {
  readonly state?: 'starting' | 'running' | 'exited' | 'failed' | 'timed-out' | 'stopped' | 'lost';
  readonly runtime?: string;
  readonly ref?: string;
  readonly startedAt?: string;
  readonly deadlineAt?: string;
  readonly endedAt?: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly error?: string;
}

export interface WorkspaceProgress {
  readonly phase?: 'queued' | 'materializing' | 'agent' | 'syncing' | 'removing' | 'done';
  readonly filesDone?: number;
  readonly filesTotal?: number;
  readonly bytesDone?: number;
  readonly bytesTotal?: number;
  /** Materialize: bytes fetched from storage (the rest came from the node's cache). */
  readonly bytesDownloaded?: number;
  /** Kept through the later phases: what the materialize did. */
  readonly materialized?: { files: number; bytes: number; bytesDownloaded: number; durationMs: number };
}

export interface WorkspaceFailure {
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export interface WorkspaceRow {
  readonly id: string;
  readonly tenantId: string;
  readonly caseId: string;
  readonly nodeName: string | null;
  readonly path: string | null;
  readonly status: WorkspaceStatus;
  readonly agentRef: string | null;
  readonly agent: AgentState;
  readonly baseline: { entries: BaselineEntry[] } | null;
  readonly progress: WorkspaceProgress;
  readonly error: string | null;
  readonly syncResult: Record<string, unknown> | null;
  readonly syncCount: number;
  readonly lastSyncedAt: Date | null;
  readonly deleteRequestedAt: Date | null;
  readonly expiresAt: Date | null;
  readonly endedAt: Date | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type WorkspacePatch = Partial<{
  status: WorkspaceStatus;
  path: string;
  agentRef: string | null;
  agent: AgentState;
  baseline: { entries: BaselineEntry[] };
  progress: WorkspaceProgress;
  error: WorkspaceFailure | null;
  syncResult: Record<string, unknown>;
  synced: true;
  deleteRequested: true;
  ended: true;
}>;

/** A committed current version of a live file: what a materialize lays out. */
export interface ManifestEntry {
  readonly path: string;
  readonly fileId: string;
  readonly versionId: string;
  readonly objectKey: string;
  readonly s3VersionId: string;
  readonly etag: string;
  readonly sha256Hex: string;
  readonly size: number;
  readonly committedAt: Date;
  /** False for a multipart version whose whole-file SHA-256 is only what the client declared so far. */
  readonly verified: boolean;
}

/** A version an interrupted sync recorded before its PUT: the sync's journal. */
export interface PendingSyncVersion {
  readonly versionId: string;
  readonly fileId: string;
  readonly filePath: string;
  readonly objectKey: string;
  readonly sha256Hex: string;
  readonly size: number;
  readonly contentType: string;
  readonly baseVersionId: string | null;
  readonly workspacePath: string;
}

export interface LiveFile {
  readonly id: string;
  readonly path: string;
  readonly kind: 'original' | 'derived';
  readonly currentVersionId: string | null;
}

const WORKSPACE_COLUMNS = `
  id, tenant_id AS "tenantId", case_id AS "caseId", node_name AS "nodeName", path, status, agent_ref AS "agentRef", agent,
  baseline, progress, error, sync_result AS "syncResult", sync_count AS "syncCount", last_synced_at AS "lastSyncedAt",
  delete_requested_at AS "deleteRequestedAt", expires_at AS "expiresAt", ended_at AS "endedAt", created_by AS "createdBy",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * Every SQL statement of the workspace manager. Methods take the EntityManager of the
 * caller's tenant transaction (row-level security scopes them); only the node scan runs
 * outside one, through the SECURITY DEFINER function that returns ids.
 */
@Injectable()
export class WorkspaceRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(em: EntityManager, w: { tenantId: string; caseId: string; nodeName: string; createdBy: string; expiresAt: Date }): Promise<WorkspaceRow> {
    const rows: WorkspaceRow[] = await em.query(
      `INSERT INTO workspaces (tenant_id, case_id, node_name, created_by, expires_at, progress)
       VALUES ($1, $2, $3, $4, $5, '{"phase":"queued"}'::jsonb) RETURNING ${WORKSPACE_COLUMNS}`,
      [w.tenantId, w.caseId, w.nodeName, w.createdBy, w.expiresAt.toISOString()],
    );
    return rows[0];
  }

  async find(em: EntityManager, id: string, opts: { lock?: boolean } = {}): Promise<WorkspaceRow | null> {
    const rows: WorkspaceRow[] = await em.query(`SELECT ${WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1 ${opts.lock ? 'FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  async update(em: EntityManager, id: string, patch: WorkspacePatch): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (patch.status !== undefined) set('status', patch.status);
    if (patch.path !== undefined) set('path', patch.path);
    if (patch.agentRef !== undefined) set('agent_ref', patch.agentRef);
    if (patch.agent !== undefined) set('agent', JSON.stringify(patch.agent), '::jsonb');
    if (patch.baseline !== undefined) set('baseline', JSON.stringify(patch.baseline), '::jsonb');
    if (patch.progress !== undefined) set('progress', JSON.stringify(patch.progress), '::jsonb');
    if (patch.error !== undefined) set('error', patch.error === null ? null : JSON.stringify(patch.error));
    if (patch.syncResult !== undefined) set('sync_result', JSON.stringify(patch.syncResult), '::jsonb');
    if (patch.synced) sets.push('sync_count = sync_count + 1', 'last_synced_at = now()');
    if (patch.deleteRequested) sets.push('delete_requested_at = coalesce(delete_requested_at, now())');
    if (patch.ended) sets.push('ended_at = coalesce(ended_at, now())');
    if (sets.length === 0) return;
    await em.query(`UPDATE workspaces SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  /** Progress of the step under way (the job's reporter); never touches a finished workspace. */
  async mergeProgress(em: EntityManager, id: string, progress: WorkspaceProgress): Promise<void> {
    await em.query(`UPDATE workspaces SET progress = $2::jsonb WHERE id = $1 AND status NOT IN ('expired', 'deleted')`, [id, JSON.stringify(progress)]);
  }

  /** The case as a materialize lays it out: every live file's committed current version. */
  async manifest(em: EntityManager, caseId: string): Promise<ManifestEntry[]> {
    return em.query(
      `SELECT f.path, f.id AS "fileId", v.id AS "versionId", v.object_key AS "objectKey", v.s3_version_id AS "s3VersionId",
              v.etag, v.content_hash AS "sha256Hex", v.size::float8 AS size, v.committed_at AS "committedAt",
              v.verified_at IS NOT NULL AS verified
         FROM files f JOIN file_versions v ON v.id = f.current_version_id
        WHERE f.case_id = $1 AND f.deleted_at IS NULL AND v.status = 'committed'
        ORDER BY f.path`,
      [caseId],
    );
  }

  /** Every workspace on a node that is not finished for good, whatever its tenant (ids and states only). */
  async nodeWorkspaces(
    nodeName: string,
  ): Promise<Array<{ tenantId: string; workspaceId: string; caseId: string; status: WorkspaceStatus; expired: boolean; deleteRequested: boolean }>> {
    return this.dataSource.query(
      `SELECT tenant_id AS "tenantId", workspace_id AS "workspaceId", case_id AS "caseId", status,
              coalesce(expired, false) AS expired, delete_requested AS "deleteRequested"
         FROM node_workspaces($1, 100000)`,
      [nodeName],
    );
  }

  // ---- sync -----------------------------------------------------------------------------

  async pendingSyncVersions(em: EntityManager, workspaceId: string): Promise<PendingSyncVersion[]> {
    return em.query(
      `SELECT v.id AS "versionId", v.file_id AS "fileId", f.path AS "filePath", v.object_key AS "objectKey",
              v.content_hash AS "sha256Hex", v.size::float8 AS size, v.content_type AS "contentType",
              v.base_version_id AS "baseVersionId", v.workspace_path AS "workspacePath"
         FROM file_versions v JOIN files f ON f.id = v.file_id
        WHERE v.workspace_id = $1 AND v.status = 'pending'
        ORDER BY v.created_at`,
      [workspaceId],
    );
  }

  /** Live files at these paths of a case. */
  async liveFiles(em: EntityManager, caseId: string, paths: readonly string[]): Promise<Map<string, LiveFile>> {
    if (paths.length === 0) return new Map();
    const rows: LiveFile[] = await em.query(
      `SELECT id, path, kind, current_version_id AS "currentVersionId"
         FROM files WHERE case_id = $1 AND deleted_at IS NULL AND path = ANY($2::text[])`,
      [caseId, paths],
    );
    return new Map(rows.map((r) => [r.path, r]));
  }

  /**
   * New paths that cannot join the case's tree: a live file sits where one of their folders
   * would be, or live files sit below them (the path is a folder in the case).
   */
  async folderClashes(em: EntityManager, caseId: string, paths: readonly string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const folders = [...new Set(paths.flatMap(parentFolders))];
    const asFile: Array<{ path: string }> = folders.length
      ? await em.query(`SELECT path FROM files WHERE case_id = $1 AND deleted_at IS NULL AND path = ANY($2::text[])`, [caseId, folders])
      : [];
    const asFolder: Array<{ path: string }> = await em.query(
      `SELECT p.path FROM unnest($2::text[]) AS p(path)
        WHERE EXISTS (SELECT 1 FROM files f WHERE f.case_id = $1 AND f.deleted_at IS NULL AND f.path > p.path || '/' AND f.path < p.path || '0')`,
      [caseId, paths],
    );
    const fileFolders = new Set(asFile.map((r) => r.path));
    const clashes = new Set(asFolder.map((r) => r.path));
    for (const path of paths) if (parentFolders(path).some((f) => fileFolders.has(f))) clashes.add(path);
    return clashes;
  }

  /** Locks files in id order (no deadlock with uploads or another sync) and returns their state. */
  async lockFiles(em: EntityManager, fileIds: readonly string[]): Promise<Map<string, LiveFile & { deleted: boolean }>> {
    if (fileIds.length === 0) return new Map();
    const rows: Array<LiveFile & { deleted: boolean }> = await em.query(
      `SELECT id, path, kind, current_version_id AS "currentVersionId", deleted_at IS NOT NULL AS deleted
         FROM files WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [fileIds],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** A new logical file; null when a live file already has the path (the caller picks another). */
  async insertFile(
    em: EntityManager,
    f: { tenantId: string; caseId: string; path: string; contentType: string; createdBy: string; derivedFrom: { fileId: string; versionId: string } | null },
  ): Promise<string | null> {
    const rows: Array<{ id: string }> = await em.query(
      `INSERT INTO files (tenant_id, case_id, path, content_type, created_by, kind, derived_from_file_id, derived_from_version_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (case_id, path) WHERE deleted_at IS NULL DO NOTHING RETURNING id`,
      [f.tenantId, f.caseId, f.path, f.contentType, f.createdBy, f.derivedFrom ? 'derived' : 'original', f.derivedFrom?.fileId ?? null, f.derivedFrom?.versionId ?? null],
    );
    return rows[0]?.id ?? null;
  }

  async insertPendingVersion(
    em: EntityManager,
    v: {
      tenantId: string;
      fileId: string;
      objectKey: string;
      size: number;
      sha256Hex: string;
      contentType: string;
      baseVersionId: string | null;
      workspaceId: string;
      workspacePath: string;
      createdBy: string;
      expiresAt: Date;
    },
  ): Promise<string> {
    const rows: Array<{ id: string }> = await em.query(
      `INSERT INTO file_versions (tenant_id, file_id, object_key, size, content_hash, content_type, status, base_version_id,
                                  workspace_id, workspace_path, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11) RETURNING id`,
      [v.tenantId, v.fileId, v.objectKey, v.size, v.sha256Hex, v.contentType, v.baseVersionId, v.workspaceId, v.workspacePath, v.createdBy, v.expiresAt.toISOString()],
    );
    return rows[0].id;
  }

  async failVersion(em: EntityManager, versionId: string, reason: string): Promise<void> {
    await endPendingVersion(em, versionId, 'failed', reason);
  }

  async retireFileIfEmpty(em: EntityManager, fileId: string): Promise<void> {
    await retireFileIfEmpty(em, fileId);
  }

  /** True when this stored version is already some committed version of the file (a replayed adoption). */
  async isStoredVersionCommitted(em: EntityManager, fileId: string, s3VersionId: string): Promise<boolean> {
    const rows: unknown[] = await em.query(`SELECT 1 FROM file_versions WHERE file_id = $1 AND s3_version_id = $2 AND status = 'committed'`, [fileId, s3VersionId]);
    return rows.length > 0;
  }

  /**
   * A derivative the agent made again from a newer source, byte for byte the same as
   * before: no new version, but it now stands for that source version. True if relinked.
   */
  async relinkDerived(em: EntityManager, fileId: string, versionId: string, source: { fileId: string; versionId: string }): Promise<boolean> {
    // Only while the file is still the version the agent had: a newer edit by someone else keeps its own link.
    const result: unknown = await em.query(
      `UPDATE files SET derived_from_file_id = $2, derived_from_version_id = $3
        WHERE id = $1 AND kind = 'derived' AND deleted_at IS NULL AND current_version_id = $4
          AND (derived_from_file_id IS DISTINCT FROM $2 OR derived_from_version_id IS DISTINCT FROM $3)
        RETURNING id`,
      [fileId, source.fileId, source.versionId, versionId],
    );
    return returnedRows(result).length > 0;
  }

  /** Numbers the version (max + 1 under the file's lock), makes it current and, for a derivative, records its source. */
  async commitVersion(
    em: EntityManager,
    c: { versionId: string; fileId: string; s3VersionId: string; etag: string; contentType: string; derivedFrom: { fileId: string; versionId: string } | null },
  ): Promise<number> {
    // The agent hashed the bytes and storage checked them against that hash: verified.
    const numbers = await commitPendingVersions(em, [{ ...c, verified: true }]);
    if (c.derivedFrom) {
      await em.query(`UPDATE files SET derived_from_file_id = $2, derived_from_version_id = $3 WHERE id = $1 AND kind = 'derived'`, [
        c.fileId,
        c.derivedFrom.fileId,
        c.derivedFrom.versionId,
      ]);
    }
    return numbers.get(c.versionId) ?? 0;
  }
}

