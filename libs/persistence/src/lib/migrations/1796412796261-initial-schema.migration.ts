import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The group role that the app's login role belongs to. Created outside migrations (by
 * scripts/services/postgres.sh here, by the DBA in production) because the owner role
 * that runs migrations deliberately cannot create roles.
 */
const RW_ROLE = 'case_storage_rw';

/**
 * The tenant a transaction works for, set by TenantTransactions with
 * `set_config('app.tenant_id', $1, true)`. NULLIF: once a transaction that set it ends,
 * the session keeps the parameter as '' (not NULL), and `''::uuid` would raise instead of
 * matching nothing.
 */
const CURRENT_TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

/** Tables whose rows belong to one tenant, and the column that says which. */
const TENANT_SCOPED: ReadonlyArray<readonly [table: string, column: string]> = [
  ['tenants', 'id'],
  ['cases', 'tenant_id'],
  ['case_members', 'tenant_id'],
  ['files', 'tenant_id'],
  ['file_versions', 'tenant_id'],
  ['workspaces', 'tenant_id'],
  ['audit_events', 'tenant_id'],
];

const TOUCHED_TABLES = ['tenants', 'cases', 'case_members', 'files', 'workspaces'];

/**
 * The whole initial schema: tables, constraints, indexes, row-level security and grants.
 *
 * Tenancy is enforced three ways: every child row repeats `tenant_id` and references its
 * parent through a composite (tenant_id, id) foreign key, so a row can never point into
 * another tenant (FK checks bypass RLS, the composite key does not); RLS, ENABLEd and
 * FORCEd (so it binds the owner too), limits every statement to the transaction's
 * tenant; and the app role gets DML only, audit_events SELECT/INSERT only.
 */
export class InitialSchema1796412796261 implements MigrationInterface {
  readonly name = 'InitialSchema1796412796261';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION case_storage_touch_updated_at() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        NEW.updated_at := now();
        RETURN NEW;
      END
      $$`);

    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CONSTRAINT tenants_name_check CHECK (btrim(name) <> ''),
        status text NOT NULL DEFAULT 'active'
          CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE cases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL CONSTRAINT cases_tenant_fkey REFERENCES tenants (id),
        title text NOT NULL CONSTRAINT cases_title_check CHECK (btrim(title) <> ''),
        status text NOT NULL DEFAULT 'open'
          CONSTRAINT cases_status_check CHECK (status IN ('open', 'closed', 'archived')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        -- Target of the composite foreign keys below; also serves "cases of a tenant".
        CONSTRAINT cases_tenant_id_id_key UNIQUE (tenant_id, id)
      )`);

    await q.query(`
      CREATE TABLE case_members (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        case_id uuid NOT NULL,
        subject text NOT NULL CONSTRAINT case_members_subject_check CHECK (subject <> '' AND length(subject) <= 255),
        role text NOT NULL CONSTRAINT case_members_role_check CHECK (role IN ('owner', 'editor', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT case_members_case_fkey FOREIGN KEY (tenant_id, case_id)
          REFERENCES cases (tenant_id, id) ON DELETE CASCADE,
        CONSTRAINT case_members_tenant_case_subject_key UNIQUE (tenant_id, case_id, subject)
      )`);
    // "Which cases may this subject see?"
    await q.query(`CREATE INDEX case_members_tenant_subject_idx ON case_members (tenant_id, subject)`);

    await q.query(`
      CREATE TABLE files (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        case_id uuid NOT NULL,
        path text NOT NULL,
        kind text NOT NULL DEFAULT 'original' CONSTRAINT files_kind_check CHECK (kind IN ('original', 'derived')),
        derived_from_file_id uuid,
        derived_from_version_id uuid,
        current_version_id uuid,
        content_type text NOT NULL DEFAULT 'application/octet-stream',
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        CONSTRAINT files_tenant_id_id_key UNIQUE (tenant_id, id),
        CONSTRAINT files_case_fkey FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, id),
        CONSTRAINT files_derived_from_file_fkey FOREIGN KEY (tenant_id, derived_from_file_id)
          REFERENCES files (tenant_id, id),
        -- The last line of defence for the path rules in @case-storage/domain: NFC,
        -- relative, '/'-separated, no empty, '.' or '..' segments, no control characters.
        -- 2048 bytes keeps every path well inside a btree index entry.
        CONSTRAINT files_path_check CHECK (
          path <> ''
          AND octet_length(path) <= 2048
          AND path IS NFC NORMALIZED
          AND path !~ '^/|/$|//'
          AND path !~ '(^|/)\\.\\.?(/|$)'
          AND path !~ '[[:cntrl:]]'
        ),
        CONSTRAINT files_derived_check CHECK (
          kind = 'derived' OR (derived_from_file_id IS NULL AND derived_from_version_id IS NULL)
        ),
        CONSTRAINT files_derived_version_check CHECK (
          derived_from_version_id IS NULL OR derived_from_file_id IS NOT NULL
        ),
        CONSTRAINT files_not_derived_from_self_check CHECK (derived_from_file_id <> id)
      )`);
    // One live row per path and case; soft-deleted rows keep their path for history.
    // Also serves the listing (case_id = ? AND deleted_at IS NULL ORDER BY path).
    await q.query(`CREATE UNIQUE INDEX files_case_path_live_key ON files (case_id, path) WHERE deleted_at IS NULL`);
    await q.query(
      `CREATE INDEX files_derived_from_idx ON files (tenant_id, derived_from_file_id) WHERE derived_from_file_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE file_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        file_id uuid NOT NULL,
        version_no integer NOT NULL CONSTRAINT file_versions_version_no_check CHECK (version_no >= 1),
        object_key text NOT NULL CONSTRAINT file_versions_object_key_check CHECK (object_key <> ''),
        s3_version_id text,
        etag text,
        size bigint NOT NULL CONSTRAINT file_versions_size_check CHECK (size >= 0),
        content_hash text NOT NULL CONSTRAINT file_versions_content_hash_check CHECK (content_hash ~ '^[0-9a-f]{64}$'),
        content_type text NOT NULL DEFAULT 'application/octet-stream',
        status text NOT NULL DEFAULT 'pending'
          CONSTRAINT file_versions_status_check CHECK (status IN ('pending', 'committed', 'failed', 'expired')),
        upload_id text,
        expires_at timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        committed_at timestamptz,
        CONSTRAINT file_versions_file_fkey FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id),
        CONSTRAINT file_versions_file_version_no_key UNIQUE (file_id, version_no),
        -- Target of files' (tenant, file, version) foreign keys: a file's current or
        -- source version must be a version of that very file.
        CONSTRAINT file_versions_tenant_file_id_key UNIQUE (tenant_id, file_id, id),
        -- A committed version must say exactly which stored object it is (design §3).
        CONSTRAINT file_versions_committed_check CHECK (
          status <> 'committed' OR (s3_version_id IS NOT NULL AND etag IS NOT NULL AND committed_at IS NOT NULL)
        )
      )`);
    // The sweeper's scan for abandoned uploads.
    await q.query(`CREATE INDEX file_versions_pending_expiry_idx ON file_versions (expires_at) WHERE status = 'pending'`);

    await q.query(`
      ALTER TABLE files
        ADD CONSTRAINT files_current_version_fkey FOREIGN KEY (tenant_id, id, current_version_id)
          REFERENCES file_versions (tenant_id, file_id, id),
        ADD CONSTRAINT files_derived_from_version_fkey
          FOREIGN KEY (tenant_id, derived_from_file_id, derived_from_version_id)
          REFERENCES file_versions (tenant_id, file_id, id)`);

    await q.query(`
      CREATE TABLE workspaces (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        case_id uuid NOT NULL,
        node_name text,
        path text,
        status text NOT NULL DEFAULT 'queued' CONSTRAINT workspaces_status_check CHECK (
          status IN ('queued', 'materializing', 'ready', 'running', 'syncing', 'completed', 'failed', 'expired')
        ),
        agent_ref text,
        baseline jsonb,
        progress jsonb NOT NULL DEFAULT '{}'::jsonb,
        error text,
        expires_at timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT workspaces_case_fkey FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX workspaces_case_idx ON workspaces (tenant_id, case_id, created_at DESC)`);
    // Expiry/cleanup scan over workspaces that are not finished yet.
    await q.query(
      `CREATE INDEX workspaces_active_expiry_idx ON workspaces (expires_at) WHERE status NOT IN ('completed', 'failed', 'expired')`,
    );

    await q.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT audit_events_tenant_fkey REFERENCES tenants (id),
        case_id uuid,
        file_id uuid,
        actor text NOT NULL CONSTRAINT audit_events_actor_check CHECK (actor <> ''),
        action text NOT NULL CONSTRAINT audit_events_action_check CHECK (action <> ''),
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT audit_events_case_fkey FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, id),
        CONSTRAINT audit_events_file_fkey FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id),
        CONSTRAINT audit_events_file_needs_case_check CHECK (file_id IS NULL OR case_id IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX audit_events_case_idx ON audit_events (tenant_id, case_id, id)`);
    await q.query(`CREATE INDEX audit_events_file_idx ON audit_events (tenant_id, file_id, id) WHERE file_id IS NOT NULL`);

    for (const table of TOUCHED_TABLES) {
      await q.query(
        `CREATE TRIGGER ${table}_touch_updated_at BEFORE UPDATE ON ${table}
         FOR EACH ROW EXECUTE FUNCTION case_storage_touch_updated_at()`,
      );
    }

    for (const [table, column] of TENANT_SCOPED) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await q.query(
        `CREATE POLICY ${table}_tenant_isolation ON ${table} FOR ALL
         USING (${column} = ${CURRENT_TENANT}) WITH CHECK (${column} = ${CURRENT_TENANT})`,
      );
    }

    await q.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, cases, case_members, files, file_versions, workspaces TO ${RW_ROLE}`,
    );
    // Append-only: no UPDATE, DELETE or TRUNCATE for the app, ever.
    await q.query(`GRANT SELECT, INSERT ON audit_events TO ${RW_ROLE}`);
    await q.query(`GRANT USAGE ON SEQUENCE audit_events_id_seq TO ${RW_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE workspaces`);
    await q.query(`ALTER TABLE files DROP CONSTRAINT files_current_version_fkey, DROP CONSTRAINT files_derived_from_version_fkey`);
    await q.query(`DROP TABLE file_versions`);
    await q.query(`DROP TABLE files`);
    await q.query(`DROP TABLE case_members`);
    await q.query(`DROP TABLE cases`);
    await q.query(`DROP TABLE tenants`);
    await q.query(`DROP FUNCTION case_storage_touch_updated_at()`);
  }
}
