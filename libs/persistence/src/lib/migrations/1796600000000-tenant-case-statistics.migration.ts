import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Row-level security adds `tenant_id = <current tenant>` to every query. Without knowing
 * that a case (or a file) fixes its tenant, the planner multiplies the two selectivities,
 * underestimates a large case by orders of magnitude and picks a scan-and-sort plan for a
 * listing page instead of walking the (case_id, path) index. Extended statistics tell it.
 */
export class TenantCaseStatistics1796600000000 implements MigrationInterface {
  name = 'TenantCaseStatistics1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE STATISTICS files_tenant_case_stats (dependencies, ndistinct) ON tenant_id, case_id FROM files`);
    await q.query(`CREATE STATISTICS file_versions_tenant_file_stats (dependencies, ndistinct) ON tenant_id, file_id FROM file_versions`);
    await q.query(`ANALYZE files`);
    await q.query(`ANALYZE file_versions`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP STATISTICS file_versions_tenant_file_stats`);
    await q.query(`DROP STATISTICS files_tenant_case_stats`);
  }
}
