import { MigrationInterface, QueryRunner } from 'typeorm';

const RW_ROLE = 'case_storage_rw';

/**
 * What the workspace manager needs on top of the initial `workspaces` table:
 * - the agent's state and the last sync's result, a sync counter, and a way to ask for
 *   deletion (the manager on the workspace's node carries it out);
 * - `deleted` as a final status (a workspace a user removed, as opposed to `expired`);
 * - versions written by a workspace sync name their workspace and the path their bytes
 *   came from: they are the sync's journal, so a sync killed after a PUT finds its own
 *   write again instead of seeing a conflict with itself;
 * - a manager must find every workspace on its node whatever the tenant (expiry, orphan
 *   directories, jobs lost with Redis): one SECURITY DEFINER function returning ids only,
 *   the same pattern as the upload sweeper.
 */
export class WorkspaceRuns1796700000000 implements MigrationInterface {
  name = 'WorkspaceRuns1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE workspaces DROP CONSTRAINT workspaces_status_check`);
    await q.query(`
      ALTER TABLE workspaces
        ADD CONSTRAINT workspaces_status_check CHECK (
          status IN ('queued', 'materializing', 'ready', 'running', 'syncing', 'completed', 'failed', 'expired', 'deleted')
        ),
        ADD COLUMN agent jsonb NOT NULL DEFAULT '{}'::jsonb,
        ADD COLUMN sync_result jsonb,
        ADD COLUMN sync_count integer NOT NULL DEFAULT 0,
        ADD COLUMN last_synced_at timestamptz,
        ADD COLUMN delete_requested_at timestamptz,
        ADD COLUMN ended_at timestamptz,
        ADD CONSTRAINT workspaces_tenant_id_id_key UNIQUE (tenant_id, id)`);
    await q.query(`CREATE INDEX workspaces_node_idx ON workspaces (node_name) WHERE status NOT IN ('expired', 'deleted')`);

    await q.query(`
      ALTER TABLE file_versions
        ADD COLUMN workspace_id uuid,
        ADD COLUMN workspace_path text,
        ADD CONSTRAINT file_versions_workspace_fkey FOREIGN KEY (tenant_id, workspace_id) REFERENCES workspaces (tenant_id, id),
        ADD CONSTRAINT file_versions_workspace_path_check CHECK ((workspace_id IS NULL) = (workspace_path IS NULL))`);
    await q.query(`CREATE INDEX file_versions_workspace_pending_idx ON file_versions (workspace_id) WHERE status = 'pending'`);

    // Owner-only, read-only, like file_versions_owner_sweep: the function below is its only user.
    await q.query(`CREATE POLICY workspaces_owner_node_scan ON workspaces FOR SELECT TO CURRENT_USER USING (true)`);
    await q.query(`
      CREATE FUNCTION node_workspaces(node text, max_rows integer)
      RETURNS TABLE (tenant_id uuid, workspace_id uuid, case_id uuid, status text, expired boolean, delete_requested boolean)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
      AS $$
        SELECT w.tenant_id, w.id, w.case_id, w.status, w.expires_at < now(), w.delete_requested_at IS NOT NULL
          FROM workspaces w
         WHERE w.node_name = node AND w.status NOT IN ('expired', 'deleted')
         ORDER BY w.created_at
         LIMIT LEAST(GREATEST(max_rows, 1), 100000)
      $$`);
    await q.query(`REVOKE ALL ON FUNCTION node_workspaces(text, integer) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION node_workspaces(text, integer) TO ${RW_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION node_workspaces(text, integer)`);
    await q.query(`DROP POLICY workspaces_owner_node_scan ON workspaces`);
    await q.query(`DROP INDEX file_versions_workspace_pending_idx`);
    await q.query(`
      ALTER TABLE file_versions
        DROP CONSTRAINT file_versions_workspace_path_check,
        DROP CONSTRAINT file_versions_workspace_fkey,
        DROP COLUMN workspace_path,
        DROP COLUMN workspace_id`);
    await q.query(`DROP INDEX workspaces_node_idx`);
    // Every tenant's rows: row-level security is forced on the owner too, so lift it for this one statement.
    await q.query(`ALTER TABLE workspaces NO FORCE ROW LEVEL SECURITY`);
    await q.query(`UPDATE workspaces SET status = 'expired' WHERE status = 'deleted'`);
    await q.query(`ALTER TABLE workspaces FORCE ROW LEVEL SECURITY`);
    await q.query(`
      ALTER TABLE workspaces
        DROP CONSTRAINT workspaces_tenant_id_id_key,
        DROP COLUMN ended_at,
        DROP COLUMN delete_requested_at,
        DROP COLUMN last_synced_at,
        DROP COLUMN sync_count,
        DROP COLUMN sync_result,
        DROP COLUMN agent,
        DROP CONSTRAINT workspaces_status_check`);
    await q.query(`
      ALTER TABLE workspaces ADD CONSTRAINT workspaces_status_check CHECK (
        status IN ('queued', 'materializing', 'ready', 'running', 'syncing', 'completed', 'failed', 'expired')
      )`);
  }
}
