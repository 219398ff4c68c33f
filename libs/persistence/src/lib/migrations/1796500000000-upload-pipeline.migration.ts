import { MigrationInterface, QueryRunner } from 'typeorm';

const RW_ROLE = 'case_storage_rw';

/**
 * What the upload pipeline needs on top of the initial schema:
 * - version numbers are given at commit, so aborted uploads leave no gaps in a file's history;
 * - a pending version remembers what it was based on (optimistic concurrency at commit),
 *   its multipart part checksums, and whether its whole-file SHA-256 was confirmed;
 * - one S3 version can be committed once only;
 * - the expiry sweeper, which must see every tenant's abandoned uploads, gets exactly that
 *   through one SECURITY DEFINER function instead of a way around row-level security.
 */
export class UploadPipeline1796500000000 implements MigrationInterface {
  name = 'UploadPipeline1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE file_versions ALTER COLUMN version_no DROP NOT NULL`);
    await q.query(`
      ALTER TABLE file_versions
        ADD COLUMN base_version_id uuid,
        ADD COLUMN part_size integer CONSTRAINT file_versions_part_size_check CHECK (part_size > 0),
        ADD COLUMN part_checksums text[],
        ADD COLUMN verified_at timestamptz,
        ADD COLUMN failure_reason text,
        ADD CONSTRAINT file_versions_base_version_fkey FOREIGN KEY (tenant_id, file_id, base_version_id)
          REFERENCES file_versions (tenant_id, file_id, id),
        ADD CONSTRAINT file_versions_committed_numbered_check CHECK (status <> 'committed' OR version_no IS NOT NULL),
        ADD CONSTRAINT file_versions_multipart_check CHECK (
          (part_checksums IS NULL AND part_size IS NULL) OR (part_checksums IS NOT NULL AND part_size IS NOT NULL)
        )`);
    await q.query(
      `CREATE UNIQUE INDEX file_versions_s3_version_key ON file_versions (file_id, s3_version_id) WHERE s3_version_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX file_versions_file_status_idx ON file_versions (file_id, status)`);

    // Runs as the table owner; FORCE'd row-level security still applies to the owner, so
    // this one read-only policy lets the function (and nothing the app role can reach)
    // see pending rows of every tenant. It returns ids only; the sweeper then works on
    // each upload inside that upload's own tenant transaction.
    await q.query(`CREATE POLICY file_versions_owner_sweep ON file_versions FOR SELECT TO CURRENT_USER USING (status = 'pending')`);
    await q.query(`
      CREATE FUNCTION expired_pending_uploads(max_rows integer)
      RETURNS TABLE (tenant_id uuid, file_version_id uuid)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
      AS $$
        SELECT fv.tenant_id, fv.id FROM file_versions fv
        WHERE fv.status = 'pending' AND fv.expires_at < now()
        ORDER BY fv.expires_at
        LIMIT LEAST(GREATEST(max_rows, 1), 1000)
      $$`);
    await q.query(`REVOKE ALL ON FUNCTION expired_pending_uploads(integer) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION expired_pending_uploads(integer) TO ${RW_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION expired_pending_uploads(integer)`);
    await q.query(`DROP POLICY file_versions_owner_sweep ON file_versions`);
    await q.query(`DROP INDEX file_versions_file_status_idx`);
    await q.query(`DROP INDEX file_versions_s3_version_key`);
    await q.query(`
      ALTER TABLE file_versions
        DROP CONSTRAINT file_versions_multipart_check,
        DROP CONSTRAINT file_versions_committed_numbered_check,
        DROP CONSTRAINT file_versions_base_version_fkey,
        DROP COLUMN failure_reason,
        DROP COLUMN verified_at,
        DROP COLUMN part_checksums,
        DROP COLUMN part_size,
        DROP COLUMN base_version_id`);
    await q.query(`DELETE FROM file_versions WHERE version_no IS NULL`);
    await q.query(`ALTER TABLE file_versions ALTER COLUMN version_no SET NOT NULL`);
  }
}
