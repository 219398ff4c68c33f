import { randomUUID } from 'node:crypto';
import { TenantTransactions } from '@case-storage/persistence';
import { DataSource } from 'typeorm';

export interface CommittedFileSpec {
  readonly path: string;
  /** The logical file's id (random by default); the stored object's key is derived from it. */
  readonly fileId?: string;
  readonly size?: number;
  readonly contentType?: string;
  readonly sha256?: string;
  readonly createdBy?: string;
  readonly derivedFrom?: { readonly fileId: string; readonly versionId: string };
  /** The stored object, when the test needs real bytes behind the row (downloads). */
  readonly objectKey?: string;
  readonly s3VersionId?: string;
  readonly etag?: string;
}

export interface CommittedFile {
  readonly fileId: string;
  readonly versionId: string;
  readonly path: string;
}

/**
 * Writes committed files straight into PostgreSQL (as the app role, in the tenant's
 * transaction), in batches: fixtures for listings of any size without going through
 * storage. The same rows the upload API commits; tests that need the write path itself
 * use the upload API.
 */
export async function seedCommittedFiles(
  ds: DataSource,
  scope: { tenantId: string; caseId: string },
  files: readonly CommittedFileSpec[],
  batchSize = 5000,
): Promise<CommittedFile[]> {
  const tx = new TenantTransactions(ds);
  const out: CommittedFile[] = [];
  for (let i = 0; i < files.length; i += batchSize) {
    const rows = files.slice(i, i + batchSize).map((f) => {
      const fileId = f.fileId ?? randomUUID();
      return {
        file_id: fileId,
        version_id: randomUUID(),
        path: f.path,
        size: f.size ?? 1024,
        content_type: f.contentType ?? 'application/pdf',
        sha256: f.sha256 ?? randomUUID().replace(/-/g, '').padEnd(64, '0'),
        created_by: f.createdBy ?? 'seed',
        kind: f.derivedFrom ? 'derived' : 'original',
        derived_from_file_id: f.derivedFrom?.fileId ?? null,
        derived_from_version_id: f.derivedFrom?.versionId ?? null,
        object_key: f.objectKey ?? `tenants/${scope.tenantId}/cases/${scope.caseId}/files/${fileId}`,
        s3_version_id: f.s3VersionId ?? `seed-${randomUUID()}`,
        etag: f.etag ?? `"${randomUUID().replace(/-/g, '')}"`,
      };
    });
    await tx.run(scope.tenantId, async (em) => {
      const json = JSON.stringify(rows);
      await em.query(
        `INSERT INTO files (id, tenant_id, case_id, path, kind, content_type, created_by, derived_from_file_id, derived_from_version_id)
         SELECT file_id, $2, $3, path, kind, content_type, created_by, derived_from_file_id, derived_from_version_id
           FROM jsonb_to_recordset($1::jsonb) AS t(file_id uuid, path text, kind text, content_type text, created_by text,
                                                  derived_from_file_id uuid, derived_from_version_id uuid)`,
        [json, scope.tenantId, scope.caseId],
      );
      await em.query(
        `INSERT INTO file_versions (id, tenant_id, file_id, version_no, object_key, s3_version_id, etag, size, content_hash,
                                    content_type, status, created_by, committed_at, verified_at)
         SELECT version_id, $2, file_id, 1, object_key, s3_version_id, etag, size, sha256, content_type, 'committed', created_by, now(), now()
           FROM jsonb_to_recordset($1::jsonb) AS t(file_id uuid, version_id uuid, object_key text, s3_version_id text, etag text,
                                                  size bigint, sha256 text, content_type text, created_by text)`,
        [json, scope.tenantId],
      );
      await em.query(
        `UPDATE files f SET current_version_id = t.version_id
           FROM jsonb_to_recordset($1::jsonb) AS t(file_id uuid, version_id uuid) WHERE f.id = t.file_id`,
        [json],
      );
    });
    out.push(...rows.map((r) => ({ fileId: r.file_id, versionId: r.version_id, path: r.path })));
  }
  return out;
}
