import { Injectable } from '@nestjs/common';
import { parentFolders } from '@case-storage/domain';
import { commitPendingVersions, endPendingVersion, retireFileIfEmpty, VersionCommit } from '@case-storage/persistence';
import { DataSource, EntityManager } from 'typeorm';

/** A live file and the ETag of its current version, as an upload sees it. */
export interface FileHead {
  readonly id: string;
  readonly path: string;
  readonly currentVersionId: string | null;
  readonly currentEtag: string | null;
}

export interface PendingVersionInput {
  readonly tenantId: string;
  readonly fileId: string;
  readonly objectKey: string;
  readonly size: number;
  readonly sha256Hex: string;
  readonly contentType: string;
  readonly baseVersionId: string | null;
  readonly partSize: number | null;
  readonly partChecksums: readonly string[] | null;
  readonly expiresAt: Date;
  readonly createdBy: string;
}

/** A version row with what completing it needs to know about its file. */
export interface VersionRow {
  readonly id: string;
  readonly fileId: string;
  readonly caseId: string;
  readonly path: string;
  readonly versionNo: number | null;
  readonly objectKey: string;
  readonly s3VersionId: string | null;
  readonly etag: string | null;
  readonly size: number;
  readonly sha256Hex: string;
  readonly contentType: string;
  readonly status: 'pending' | 'committed' | 'failed' | 'expired';
  readonly uploadId: string | null;
  readonly baseVersionId: string | null;
  readonly partSize: number | null;
  readonly partChecksums: string[] | null;
  readonly expiresAt: Date | null;
  readonly verifiedAt: Date | null;
  readonly committedAt: Date | null;
  readonly createdBy: string;
}

/** A file with its current version, as the API answers it. */
export interface FileRecordRow {
  readonly id: string;
  readonly caseId: string;
  readonly path: string;
  readonly kind: 'original' | 'derived';
  readonly contentType: string;
  readonly version: VersionRow;
}

const VERSION_COLUMNS = `
  v.id, v.file_id AS "fileId", f.case_id AS "caseId", f.path, v.version_no AS "versionNo", v.object_key AS "objectKey",
  v.s3_version_id AS "s3VersionId", v.etag, v.size::float8 AS size, v.content_hash AS "sha256Hex", v.content_type AS "contentType",
  v.status, v.upload_id AS "uploadId", v.base_version_id AS "baseVersionId", v.part_size AS "partSize",
  v.part_checksums AS "partChecksums", v.expires_at AS "expiresAt", v.verified_at AS "verifiedAt",
  v.committed_at AS "committedAt", v.created_by AS "createdBy"`;

/**
 * Every SQL statement of the upload pipeline. Methods take the EntityManager of the
 * caller's tenant transaction (TenantTransactions.run), so row-level security scopes them
 * and they commit or roll back together; tenant ids are passed for the rows they write.
 */
@Injectable()
export class UploadRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Creates the files that do not exist yet (a concurrent creator wins quietly), then locks all. */
  async ensureAndLockFiles(
    em: EntityManager,
    scope: { tenantId: string; caseId: string; createdBy: string },
    entries: ReadonlyArray<{ path: string; contentType: string }>,
  ): Promise<Map<string, FileHead>> {
    await em.query(
      `INSERT INTO files (tenant_id, case_id, path, content_type, created_by)
       SELECT $1, $2, t.path, t.content_type, $5 FROM unnest($3::text[], $4::text[]) AS t(path, content_type)
       ON CONFLICT (case_id, path) WHERE deleted_at IS NULL DO NOTHING`,
      [scope.tenantId, scope.caseId, entries.map((e) => e.path), entries.map((e) => e.contentType), scope.createdBy],
    );
    const rows: FileHead[] = await em.query(
      `SELECT f.id, f.path, f.current_version_id AS "currentVersionId", v.etag AS "currentEtag"
         FROM files f LEFT JOIN file_versions v ON v.id = f.current_version_id
        WHERE f.case_id = $1 AND f.path = ANY($2::text[]) AND f.deleted_at IS NULL
        ORDER BY f.path
        FOR UPDATE OF f`,
      [scope.caseId, entries.map((e) => e.path)],
    );
    return new Map(rows.map((r) => [r.path, r]));
  }

  /**
   * Live files that cannot coexist with these paths in one tree: a file where one of
   * them needs a folder, or files inside a folder where one of them would be a file.
   * (The database collates as "C", so the range scan below is a prefix match.)
   */
  async findFolderConflicts(em: EntityManager, caseId: string, paths: readonly string[]): Promise<Array<{ path: string; existing: string }>> {
    const folders = [...new Set(paths.flatMap(parentFolders))];
    const asFile: Array<{ path: string }> = folders.length
      ? await em.query(`SELECT path FROM files WHERE case_id = $1 AND deleted_at IS NULL AND path = ANY($2::text[])`, [caseId, folders])
      : [];
    const asFolder: Array<{ path: string; existing: string }> = await em.query(
      `SELECT DISTINCT ON (p.path) p.path, f.path AS existing
         FROM unnest($2::text[]) AS p(path)
         JOIN files f ON f.case_id = $1 AND f.deleted_at IS NULL AND f.path > p.path || '/' AND f.path < p.path || '0'
        ORDER BY p.path, f.path`,
      [caseId, paths],
    );
    const conflicts = asFolder.slice();
    for (const { path: filePath } of asFile) {
      for (const p of paths) if (p.startsWith(`${filePath}/`)) conflicts.push({ path: p, existing: filePath });
    }
    return conflicts;
  }

  /** One statement for the whole batch; ids come back in input order. */
  async insertPendingVersions(em: EntityManager, rows: readonly PendingVersionInput[]): Promise<string[]> {
    const records = rows.map((r, ord) => ({
      ord,
      tenant_id: r.tenantId,
      file_id: r.fileId,
      object_key: r.objectKey,
      size: r.size,
      content_hash: r.sha256Hex,
      content_type: r.contentType,
      base_version_id: r.baseVersionId,
      part_size: r.partSize,
      part_checksums: r.partChecksums,
      expires_at: r.expiresAt.toISOString(),
      created_by: r.createdBy,
    }));
    const inserted: Array<{ id: string; ord: number }> = await em.query(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(ord int, tenant_id uuid, file_id uuid, object_key text, size bigint,
           content_hash text, content_type text, base_version_id uuid, part_size int, part_checksums text[], expires_at timestamptz, created_by text)
       ), rows AS (
         INSERT INTO file_versions (tenant_id, file_id, object_key, size, content_hash, content_type, status,
                                    base_version_id, part_size, part_checksums, expires_at, created_by)
         SELECT tenant_id, file_id, object_key, size, content_hash, content_type, 'pending',
                base_version_id, part_size, part_checksums, expires_at, created_by
           FROM input ORDER BY ord
         RETURNING id, object_key
       )
       SELECT rows.id, input.ord FROM rows JOIN input USING (object_key) ORDER BY input.ord`,
      [JSON.stringify(records)],
    );
    return inserted.map((r) => r.id);
  }

  /** The audit events of a batch in one statement, committed with the change they describe. */
  async appendAuditEvents(
    em: EntityManager,
    events: ReadonlyArray<{ tenantId: string; caseId: string; fileId: string; actor: string; action: string; details: Record<string, unknown> }>,
  ): Promise<void> {
    if (events.length === 0) return;
    await em.query(
      `INSERT INTO audit_events (tenant_id, case_id, file_id, actor, action, details)
       SELECT tenant_id, case_id, file_id, actor, action, details
         FROM jsonb_to_recordset($1::jsonb) AS t(tenant_id uuid, case_id uuid, file_id uuid, actor text, action text, details jsonb)`,
      [JSON.stringify(events.map((e) => ({ tenant_id: e.tenantId, case_id: e.caseId, file_id: e.fileId, actor: e.actor, action: e.action, details: e.details })))],
    );
  }

  async setMultipartUploadIds(em: EntityManager, uploads: ReadonlyArray<{ versionId: string; uploadId: string }>): Promise<void> {
    for (const u of uploads) {
      await em.query(`UPDATE file_versions SET upload_id = $2 WHERE id = $1 AND status = 'pending'`, [u.versionId, u.uploadId]);
    }
  }

  /** The versions of several files of a case, grouped by file (one query for a batch). */
  async versionsOfFiles(em: EntityManager, caseId: string, fileIds: readonly string[]): Promise<Map<string, VersionRow[]>> {
    const rows: VersionRow[] = await em.query(
      `SELECT ${VERSION_COLUMNS} FROM file_versions v JOIN files f ON f.id = v.file_id
        WHERE f.case_id = $1 AND v.file_id = ANY($2::uuid[]) ORDER BY v.created_at DESC`,
      [caseId, fileIds],
    );
    const byFile = new Map<string, VersionRow[]>(fileIds.map((id) => [id, []]));
    for (const row of rows) byFile.get(row.fileId)?.push(row);
    return byFile;
  }

  async findVersion(em: EntityManager, caseId: string, versionId: string, opts: { lock?: boolean } = {}): Promise<VersionRow | null> {
    const rows: VersionRow[] = await em.query(
      `SELECT ${VERSION_COLUMNS} FROM file_versions v JOIN files f ON f.id = v.file_id
        WHERE f.case_id = $1 AND v.id = $2 ${opts.lock ? 'FOR UPDATE OF v' : ''}`,
      [caseId, versionId],
    );
    return rows[0] ?? null;
  }

  /** Locks files in id order (no deadlock between batches) and returns their state. */
  async lockFiles(em: EntityManager, fileIds: readonly string[]): Promise<Map<string, { currentVersionId: string | null; deleted: boolean }>> {
    const rows: Array<{ id: string; currentVersionId: string | null; deleted: boolean }> = await em.query(
      `SELECT id, current_version_id AS "currentVersionId", deleted_at IS NOT NULL AS deleted
         FROM files WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [fileIds],
    );
    return new Map(rows.map((r) => [r.id, { currentVersionId: r.currentVersionId, deleted: r.deleted }]));
  }

  async lockVersions(em: EntityManager, caseId: string, versionIds: readonly string[]): Promise<Map<string, VersionRow>> {
    const rows: VersionRow[] = await em.query(
      `SELECT ${VERSION_COLUMNS} FROM file_versions v JOIN files f ON f.id = v.file_id
        WHERE f.case_id = $1 AND v.id = ANY($2::uuid[]) ORDER BY v.id FOR UPDATE OF v`,
      [caseId, versionIds],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** Numbers each version (max + 1 of its file, under the file locks) and makes it current; distinct files only. */
  async commitVersions(em: EntityManager, items: readonly VersionCommit[]): Promise<void> {
    await commitPendingVersions(em, items);
  }

  async markVersion(em: EntityManager, versionId: string, status: 'failed' | 'expired', reason: string): Promise<void> {
    await endPendingVersion(em, versionId, status, reason);
  }

  async markVerified(em: EntityManager, versionId: string): Promise<void> {
    await em.query(`UPDATE file_versions SET verified_at = now() WHERE id = $1 AND verified_at IS NULL`, [versionId]);
  }

  /** Rolls a file back to the version its bad version was based on (the verifier's last resort). */
  async revertCurrentVersion(em: EntityManager, fileId: string, badVersionId: string, to: string | null, reason: string): Promise<void> {
    await em.query(`UPDATE file_versions SET status = 'failed', failure_reason = $2 WHERE id = $1`, [badVersionId, reason]);
    await em.query(`UPDATE files SET current_version_id = $3 WHERE id = $1 AND current_version_id = $2`, [fileId, badVersionId, to]);
  }

  /** A file that never got a committed version and has no upload in flight frees its path. */
  retireFileIfEmpty(em: EntityManager, fileId: string): Promise<boolean> {
    return retireFileIfEmpty(em, fileId);
  }

  async fileRecords(em: EntityManager, caseId: string, fileIds: readonly string[]): Promise<FileRecordRow[]> {
    const rows: Array<VersionRow & { kind: 'original' | 'derived'; fileContentType: string }> = await em.query(
      `SELECT ${VERSION_COLUMNS}, f.kind, f.content_type AS "fileContentType"
         FROM files f JOIN file_versions v ON v.id = f.current_version_id
        WHERE f.case_id = $1 AND f.id = ANY($2::uuid[])`,
      [caseId, fileIds],
    );
    return rows.map(({ kind, fileContentType, ...version }) => ({
      id: version.fileId,
      caseId: version.caseId,
      path: version.path,
      kind,
      contentType: fileContentType,
      version,
    }));
  }

  /** Abandoned uploads of every tenant (ids only), through the one function allowed to see them. */
  async expiredPendingUploads(limit: number): Promise<Array<{ tenantId: string; fileVersionId: string }>> {
    return this.dataSource.query(`SELECT tenant_id AS "tenantId", file_version_id AS "fileVersionId" FROM expired_pending_uploads($1)`, [limit]);
  }

  /** For the sweeper: the expired upload, locked, if it is still pending. */
  async lockExpiredVersion(em: EntityManager, versionId: string): Promise<VersionRow | null> {
    const rows: VersionRow[] = await em.query(
      `SELECT ${VERSION_COLUMNS} FROM file_versions v JOIN files f ON f.id = v.file_id
        WHERE v.id = $1 AND v.status = 'pending' AND v.expires_at < now() FOR UPDATE OF v`,
      [versionId],
    );
    return rows[0] ?? null;
  }
}
