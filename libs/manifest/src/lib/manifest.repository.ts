import { Injectable } from '@nestjs/common';
import { TenantTransactions } from '@case-storage/persistence';
import { Counter } from 'prom-client';
import { ManifestQuery } from './manifest-query';
import { ManifestFile } from './manifest-tree';

export const manifestDatabaseReads = new Counter({
  name: 'manifest_database_reads_total',
  help: 'Manifest pages read from PostgreSQL (cache misses and Redis outages)',
});

interface ManifestRow {
  id: string;
  path: string;
  kind: 'original' | 'derived';
  content_type: string;
  version_id: string;
  version_no: number;
  size: number;
  content_hash: string;
  committed_at: Date;
  created_by: string;
  verified: boolean;
  derived_from_file_id: string | null;
  derived_from_version_id: string | null;
  source_path: string | null;
  source_version_no: number | null;
  source_changed: boolean | null;
}

export interface VersionHistoryRow {
  id: string;
  number: number;
  size: number;
  sha256: string;
  contentType: string;
  s3VersionId: string;
  etag: string;
  committedAt: Date;
  committedBy: string;
  verified: boolean;
  objectKey: string;
}

/**
 * The listing's SQL. One keyset query per page over the (case_id, path) index of live
 * files; the database collates as "C", so `path > a` and the prefix range are byte order.
 */
@Injectable()
export class ManifestRepository {
  constructor(private readonly tx: TenantTransactions) {}

  async page(tenantId: string, caseId: string, query: ManifestQuery): Promise<{ files: ManifestFile[]; more: boolean }> {
    manifestDatabaseReads.inc();
    const rows: ManifestRow[] = await this.tx.run(tenantId, (em) =>
      em.query(
        // The page is cut first, walking the (case_id, path) index in order, and only its
        // rows are joined: with row-level security's extra filters the planner would
        // otherwise join the whole case before sorting it.
        `WITH page AS MATERIALIZED (
           SELECT f.* FROM files f
            WHERE f.case_id = $1 AND f.deleted_at IS NULL AND f.current_version_id IS NOT NULL
              AND ($2 = '' OR (f.path > $2 || '/' AND f.path < $2 || '0'))
              AND ($3::text IS NULL OR f.path > $3)
            ORDER BY f.path
            LIMIT $4
         )
         SELECT f.id, f.path, f.kind, f.content_type, v.id AS version_id, v.version_no, v.size::float8 AS size, v.content_hash,
                v.committed_at, v.created_by, v.verified_at IS NOT NULL AS verified,
                f.derived_from_file_id, f.derived_from_version_id,
                src.path AS source_path, sv.version_no AS source_version_no,
                CASE WHEN f.derived_from_file_id IS NULL THEN NULL
                     ELSE src.deleted_at IS NOT NULL OR src.current_version_id IS DISTINCT FROM f.derived_from_version_id END AS source_changed
           FROM page f
           JOIN file_versions v ON v.id = f.current_version_id
           LEFT JOIN files src ON src.id = f.derived_from_file_id
           LEFT JOIN file_versions sv ON sv.id = f.derived_from_version_id
          ORDER BY f.path`,
        [caseId, query.prefix, query.after, query.limit + 1],
      ),
    );
    const more = rows.length > query.limit;
    return { files: rows.slice(0, query.limit).map(toManifestFile), more };
  }

  async fileExists(tenantId: string, caseId: string, fileId: string): Promise<{ path: string; contentType: string } | null> {
    const rows: Array<{ path: string; content_type: string }> = await this.tx.run(tenantId, (em) =>
      em.query(`SELECT path, content_type FROM files WHERE case_id = $1 AND id = $2 AND deleted_at IS NULL AND current_version_id IS NOT NULL`, [caseId, fileId]),
    );
    return rows[0] ? { path: rows[0].path, contentType: rows[0].content_type } : null;
  }

  async versions(tenantId: string, caseId: string, fileId: string): Promise<VersionHistoryRow[]> {
    return this.tx.run(tenantId, (em) =>
      em.query(
        `SELECT v.id, v.version_no AS number, v.size::float8 AS size, v.content_hash AS sha256, v.content_type AS "contentType",
                v.s3_version_id AS "s3VersionId", v.etag, v.committed_at AS "committedAt", v.created_by AS "committedBy",
                v.verified_at IS NOT NULL AS verified, v.object_key AS "objectKey"
           FROM file_versions v JOIN files f ON f.id = v.file_id
          WHERE f.case_id = $1 AND f.id = $2 AND v.status = 'committed'
          ORDER BY v.version_no DESC
          LIMIT 1000`,
        [caseId, fileId],
      ),
    );
  }
}

function toManifestFile(r: ManifestRow): ManifestFile {
  const slash = r.path.lastIndexOf('/');
  return {
    id: r.id,
    path: r.path,
    name: r.path.slice(slash + 1),
    size: r.size,
    contentType: r.content_type,
    sha256: r.content_hash,
    kind: r.kind,
    version: { id: r.version_id, number: r.version_no, committedAt: r.committed_at.toISOString(), committedBy: r.created_by, verified: r.verified },
    derivedFrom: r.derived_from_file_id
      ? {
          fileId: r.derived_from_file_id,
          path: r.source_path,
          versionId: r.derived_from_version_id,
          versionNumber: r.source_version_no,
          sourceChanged: r.source_changed === true,
        }
      : null,
  };
}
