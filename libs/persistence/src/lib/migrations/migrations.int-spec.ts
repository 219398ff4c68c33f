import { createTestDataSource, migrateTestDatabase, testConfig } from '@case-storage/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource, MIGRATIONS_TABLE, pendingMigrations, runMigrations } from '../data-source.factory';
import { entities } from '../entities/entities';
import { migrations } from './migrations';

const TENANT_TABLES = ['tenants', 'cases', 'case_members', 'files', 'file_versions', 'workspaces', 'audit_events'];

describe('migrations', () => {
  let app: DataSource;

  beforeAll(async () => {
    await migrateTestDatabase();
    app = await createTestDataSource();
  });

  afterAll(async () => {
    await app?.destroy();
  });

  it('are all applied, and running them again applies nothing', async () => {
    expect(await runMigrations(testConfig())).toEqual([]);
    expect(await pendingMigrations(testConfig())).toEqual([]);
  });

  it('serialise concurrent runs (no migration is applied twice)', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => runMigrations(testConfig())));
    expect(runs).toEqual([[], [], []]);
  });

  it('run the app as a role that row-level security binds', async () => {
    const [role] = await app.query(
      `SELECT r.rolname, r.rolsuper, r.rolbypassrls, pg_has_role(r.rolname, 'case_storage_rw', 'MEMBER') AS rw,
              EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tableowner = r.rolname) AS owns_tables
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(role).toEqual({ rolname: 'case_storage_app', rolsuper: false, rolbypassrls: false, rw: true, owns_tables: false });
  });

  it('enable and FORCE row-level security with a tenant policy on every tenant-owned table', async () => {
    // Policies that apply to the app role: exactly the tenant-isolation one. (The sweeper's
    // read-only policy is for the table owner alone, which the next test pins down.)
    const rows: Array<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: number }> = await app.query(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
              (SELECT count(*)::int FROM pg_policy p
                WHERE p.polrelid = c.oid
                  AND EXISTS (SELECT 1 FROM unnest(p.polroles) r(oid) WHERE r.oid = 0 OR pg_has_role(current_user, r.oid, 'MEMBER'))
              ) AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> $1
        ORDER BY c.relname`,
      [MIGRATIONS_TABLE],
    );
    expect(rows.map((r) => r.relname).sort()).toEqual([...TENANT_TABLES].sort());
    for (const row of rows) {
      expect({ table: row.relname, rls: row.relrowsecurity, force: row.relforcerowsecurity, policies: row.policies }).toEqual({
        table: row.relname,
        rls: true,
        force: true,
        policies: 1,
      });
    }
  });

  it('limit the extra policies to SELECTs by the owner (pending uploads; workspaces for the node scan)', async () => {
    const extra: Array<{ polname: string; polcmd: string; roles: string[]; qual: string }> = await app.query(
      `SELECT p.polname, p.polcmd, ARRAY(SELECT rolname FROM pg_roles WHERE oid = ANY (p.polroles))::text[] AS roles,
              pg_get_expr(p.polqual, p.polrelid) AS qual
         FROM pg_policy p WHERE p.polname NOT LIKE '%_tenant_isolation' ORDER BY p.polname`,
    );
    expect(extra).toEqual([
      { polname: 'file_versions_owner_sweep', polcmd: 'r', roles: ['case_storage_owner'], qual: "(status = 'pending'::text)" },
      { polname: 'workspaces_owner_node_scan', polcmd: 'r', roles: ['case_storage_owner'], qual: 'true' },
    ]);
  });

  it('grant the app DML on tenant tables but only SELECT and INSERT on audit_events', async () => {
    const privileges = async (table: string): Promise<string[]> => {
      const wanted = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];
      const out: string[] = [];
      for (const p of wanted) {
        const [{ ok }] = await app.query(`SELECT has_table_privilege($1, $2) AS ok`, [table, p]);
        if (ok) out.push(p);
      }
      return out;
    };
    for (const table of TENANT_TABLES.filter((t) => t !== 'audit_events')) {
      expect([table, await privileges(table)]).toEqual([table, ['SELECT', 'INSERT', 'UPDATE', 'DELETE']]);
    }
    expect(await privileges('audit_events')).toEqual(['SELECT', 'INSERT']);
    expect(await privileges(MIGRATIONS_TABLE)).toEqual([]);
  });

  it('match the entities: every mapped column exists with the same nullability', async () => {
    const columns: Array<{ table_name: string; column_name: string; is_nullable: 'YES' | 'NO'; udt_name: string }> = await app.query(
      `SELECT table_name, column_name, is_nullable, udt_name FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const byKey = new Map(columns.map((c) => [`${c.table_name}.${c.column_name}`, c]));
    const udtOf: Record<string, string> = {
      uuid: 'uuid',
      text: 'text',
      integer: 'int4',
      bigint: 'int8',
      timestamptz: 'timestamptz',
      jsonb: 'jsonb',
    };
    const mismatches: string[] = [];
    let checked = 0;
    for (const entity of entities) {
      const meta = app.getMetadata(entity);
      for (const column of meta.columns) {
        const key = `${meta.tableName}.${column.databaseName}`;
        const actual = byKey.get(key);
        const type = typeof column.type === 'string' ? column.type : 'unknown';
        const udt = column.isArray ? `_${udtOf[type]}` : udtOf[type];
        if (!actual) mismatches.push(`${key} missing`);
        else if (udt !== actual.udt_name) mismatches.push(`${key}: entity ${type}, database ${actual.udt_name}`);
        else if (column.isNullable !== (actual.is_nullable === 'YES')) mismatches.push(`${key}: nullability differs`);
        checked++;
      }
      const mapped = new Set(meta.columns.map((c) => c.databaseName));
      for (const c of columns.filter((c) => c.table_name === meta.tableName && !mapped.has(c.column_name))) {
        mismatches.push(`${meta.tableName}.${c.column_name} not mapped`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('roll back completely with down() and apply again (in a scratch schema)', async () => {
    const schema = `migration_check_${randomUUID().replace(/-/g, '')}`;
    const owner = await createTestDataSource({ asOwner: true });
    let scratch: DataSource | undefined;
    try {
      await owner.query(`CREATE SCHEMA ${schema}`);
      // The same options as the real owner DataSource, with every session confined to
      // the scratch schema, so the shared schema other tests use is never touched.
      const base = createDataSource(testConfig(), { asOwner: true });
      scratch = await new DataSource({ ...base.options, extra: { options: `-c search_path=${schema}` } }).initialize();
      const tables = async (): Promise<string[]> =>
        (await owner.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema])).map(
          (r: { tablename: string }) => r.tablename,
        );

      expect((await scratch.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(migrations.map((m) => m.name));
      expect(await tables()).toEqual([...TENANT_TABLES, MIGRATIONS_TABLE].sort());

      for (let i = 0; i < migrations.length; i++) await scratch.undoLastMigration({ transaction: 'each' });
      expect(await tables()).toEqual([MIGRATIONS_TABLE]);
      const [{ n }] = await owner.query(
        `SELECT count(*)::int AS n FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace WHERE s.nspname = $1`,
        [schema],
      );
      expect(n).toBe(0);

      expect((await scratch.runMigrations({ transaction: 'each' })).length).toBe(migrations.length);
      expect(await tables()).toEqual([...TENANT_TABLES, MIGRATIONS_TABLE].sort());
    } finally {
      await scratch?.destroy();
      await owner.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await owner.destroy();
    }
  });
});
