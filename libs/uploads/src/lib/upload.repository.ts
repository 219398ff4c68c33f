import { Injectable } from '@nestjs/common';
import { parentFolders } from '@case-storage/domain';
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

  async insertPendingVersions(em: EntityManager, rows: readonly PendingVersionInput[]): Promise<string[]> {
    const ids: string[] = [];
    for (const r of rows) {
      const [row]: Array<{ id: string }> = await em.query(
        `INSERT INTO file_versions (tenant_id, file_id, object_key, size, content_hash, content_type, status,
                                    base_version_id, part_size, part_checksums, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11) RETURNING id`,
        [r.tenantId, r.fileId, r.objectKey, r.size, r.sha256Hex, r.contentType, r.baseVersionId, r.partSize, r.partChecksums, r.expiresAt, r.createdBy],
      );
      ids.push(row.id);
    }
    return ids;
  }

  async setMultipartUploadIds(em: EntityManager, uploads: ReadonlyArray<{ versionId: string; uploadId: string }>): Promise<void> {
    for (const u of uploads) {
      await em.query(`UPDATE file_versions SET upload_id = $2 WHERE id = $1 AND status = 'pending'`, [u.versionId, u.uploadId]);
    }
  }

  /** The versions of a file in a case: the pending upload(s) and what was committed. */
  async versionsOfFile(em: EntityManager, caseId: string, fileId: string): Promise<VersionRow[]> {
    return em.query(
      `SELECT ${VERSION_COLUMNS} FROM file_versions v JOIN files f ON f.id = v.file_id
        WHERE f.case_id = $1 AND v.file_id = $2 ORDER BY v.created_at DESC`,
      [caseId, fileId],
    );
  }

  async findVersion(em: EntityManager, caseId: string, versionId: string, opts: { lock?: boolean } = {}): Promise<VersionRow | null> {
    const rows: VersionRow[] = await em.query(
      `SELECT ${VERSION_COLUMNS} FROM file_versions v JOIN files f ON f.id = v.file_id
        WHERE f.case_id = $1 AND v.id = $2 ${opts.lock ? 'FOR UPDATE OF v' : ''}`,
      [caseId, versionId],
    );
    return rows[0] ?? null;
  }

  /** Locks the file row: commits of one file are serialised here. */
  async lockFile(em: EntityManager, fileId: string): Promise<{ currentVersionId: string | null; deleted: boolean } | null> {
    const rows: Array<{ currentVersionId: string | null; deleted: boolean }> = await em.query(
      `SELECT current_version_id AS "currentVersionId", deleted_at IS NOT NULL AS deleted FROM files WHERE id = $1 FOR UPDATE`,
      [fileId],
    );
    return rows[0] ?? null;
  }

  /** Numbers the version (max + 1, under the file lock) and makes it the file's current one. */
  async commitVersion(
    em: EntityManager,
    input: { versionId: string; fileId: string; s3VersionId: string; etag: string; contentType: string; verified: boolean },
  ): Promise<void> {
    await em.query(
      `UPDATE file_versions SET status = 'committed', s3_version_id = $3, etag = $4, committed_at = now(),
              verified_at = CASE WHEN $5 THEN now() END, expires_at = NULL,
              version_no = (SELECT coalesce(max(version_no), 0) + 1 FROM file_versions WHERE file_id = $2)
        WHERE id = $1 AND status = 'pending'`,
      [input.versionId, input.fileId, input.s3VersionId, input.etag, input.verified],
    );
    await em.query(`UPDATE files SET current_version_id = $2, content_type = $3 WHERE id = $1`, [input.fileId, input.versionId, input.contentType]);
  }

  async markVersion(em: EntityManager, versionId: string, status: 'failed' | 'expired', reason: string): Promise<void> {
    await em.query(`UPDATE file_versions SET status = $2, failure_reason = $3 WHERE id = $1 AND status = 'pending'`, [versionId, status, reason]);
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
  async retireFileIfEmpty(em: EntityManager, fileId: string): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `UPDATE files SET deleted_at = now() WHERE id = $1 AND current_version_id IS NULL AND deleted_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM file_versions WHERE file_id = $1 AND status = 'pending')
       RETURNING id`,
      [fileId],
    );
    return rows.length > 0;
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
