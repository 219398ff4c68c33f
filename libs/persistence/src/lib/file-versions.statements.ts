import { EntityManager } from 'typeorm';

/**
 * The statements every writer of versions shares (the upload pipeline, the workspace
 * sync): they take the caller's tenant transaction, so row-level security scopes them.
 */

export interface VersionCommit {
  readonly versionId: string;
  readonly fileId: string;
  readonly s3VersionId: string;
  readonly etag: string;
  readonly contentType: string;
  /** Whether the whole-file SHA-256 is already confirmed (it is not for a fresh multipart upload). */
  readonly verified: boolean;
}

/**
 * Commits pending versions of distinct files, locked by the caller: each is numbered
 * (max + 1 of its file, so aborted uploads leave no gaps) and made its file's current
 * version. Returns each version's number.
 */
export async function commitPendingVersions(em: EntityManager, items: readonly VersionCommit[]): Promise<Map<string, number>> {
  if (items.length === 0) return new Map();
  const result: unknown = await em.query(
    `UPDATE file_versions v SET status = 'committed', s3_version_id = t.s3, etag = t.etag, committed_at = now(),
            verified_at = CASE WHEN t.verified THEN now() END, expires_at = NULL,
            version_no = (SELECT coalesce(max(x.version_no), 0) + 1 FROM file_versions x WHERE x.file_id = v.file_id)
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bool[]) AS t(id, s3, etag, verified)
      WHERE v.id = t.id AND v.status = 'pending'
      RETURNING v.id, v.version_no AS "versionNo"`,
    [items.map((i) => i.versionId), items.map((i) => i.s3VersionId), items.map((i) => i.etag), items.map((i) => i.verified)],
  );
  await em.query(
    `UPDATE files f SET current_version_id = t.vid, content_type = t.ct
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(fid, vid, ct) WHERE f.id = t.fid`,
    [items.map((i) => i.fileId), items.map((i) => i.versionId), items.map((i) => i.contentType)],
  );
  return new Map(returnedRows<{ id: string; versionNo: number }>(result).map((r) => [r.id, r.versionNo]));
}

/** A pending version given up on; its reason is kept for the audit trail. */
export async function endPendingVersion(em: EntityManager, versionId: string, status: 'failed' | 'expired', reason: string): Promise<void> {
  await em.query(`UPDATE file_versions SET status = $2, failure_reason = $3 WHERE id = $1 AND status = 'pending'`, [versionId, status, reason]);
}

/** A file that never got a committed version and has no write in flight frees its path. */
export async function retireFileIfEmpty(em: EntityManager, fileId: string): Promise<boolean> {
  const result: unknown = await em.query(
    `UPDATE files SET deleted_at = now() WHERE id = $1 AND current_version_id IS NULL AND deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM file_versions WHERE file_id = $1 AND status = 'pending')
     RETURNING id`,
    [fileId],
  );
  return returnedRows(result).length > 0;
}

/** The PostgreSQL driver answers an UPDATE ... RETURNING as [rows, affected]. */
export function returnedRows<T>(result: unknown): T[] {
  const rows = Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result;
  return Array.isArray(rows) ? (rows as T[]) : [];
}
