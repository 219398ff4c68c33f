import {
  aCase,
  aFile,
  aFileVersion,
  aTenant,
  aWorkspace,
  committed,
  createTestDataSource,
  migrateTestDatabase,
  tenancyOf,
  testConfig,
} from '@case-storage/testing';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { createDataSource } from './data-source.factory';
import { AuditEventEntity } from './entities/audit-event.entity';
import { CaseEntity } from './entities/case.entity';
import { FileVersionEntity } from './entities/file-version.entity';
import { FileEntity } from './entities/file.entity';
import { TenantEntity } from './entities/tenant.entity';
import { WorkspaceEntity } from './entities/workspace.entity';
import { PgErrorCode, pgErrorOf } from './persistence.error';
import { TenantTransactions } from './tenant-transactions.service';

/** The SQLSTATE a promise rejects with (fails the test if it resolves). */
async function sqlStateOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return pgErrorOf(err)?.code ?? `not a database error: ${String(err)}`;
  }
  throw new Error('expected the database to reject the statement');
}

interface Seeded {
  tenantId: string;
  caseId: string;
  fileId: string;
  versionId: string;
  workspaceId: string;
}

describe('row-level security (as the app role)', () => {
  let ds: DataSource;
  let tx: TenantTransactions;
  let a: Seeded;
  let b: Seeded;

  /** A tenant with a case, a file with a committed version, a workspace and an audit event. */
  async function seedTenant(): Promise<Seeded> {
    const { tenancy } = tenancyOf(ds);
    const tenant = await tenancy.upsertTenant(aTenant());
    const kase = await tenancy.upsertCase(tenant.id, aCase());
    const scope = { tenantId: tenant.id, caseId: kase.id };
    return tx.run(tenant.id, async (em) => {
      const file = aFile(scope);
      await em.insert(FileEntity, file);
      const version = aFileVersion({ ...scope, fileId: file.id }, committed());
      await em.insert(FileVersionEntity, version);
      await em.update(FileEntity, { id: file.id }, { currentVersionId: version.id });
      const workspace = aWorkspace(scope);
      await em.insert(WorkspaceEntity, workspace);
      await tenancy.appendAudit(em, { ...scope, fileId: file.id, actor: 'user-test', action: 'file.version.committed' });
      return { ...scope, fileId: file.id, versionId: version.id, workspaceId: workspace.id };
    });
  }

  beforeAll(async () => {
    await migrateTestDatabase();
    ds = await createTestDataSource();
    tx = new TenantTransactions(ds);
    [a, b] = await Promise.all([seedTenant(), seedTenant()]);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  /** Sequential on purpose: a transaction is one connection, which runs one query at a time. */
  async function countsFor(em: EntityManager, s: Seeded): Promise<number[]> {
    return [
      await em.countBy(TenantEntity, { id: s.tenantId }),
      await em.countBy(CaseEntity, { id: s.caseId }),
      await em.countBy(FileEntity, { id: s.fileId }),
      await em.countBy(FileVersionEntity, { id: s.versionId }),
      await em.countBy(WorkspaceEntity, { id: s.workspaceId }),
      await em.countBy(AuditEventEntity, { tenantId: s.tenantId }),
    ];
  }

  it("lets a tenant see its own rows and none of another tenant's", async () => {
    await tx.run(a.tenantId, async (em) => {
      expect(await countsFor(em, a)).toEqual([1, 1, 1, 1, 1, 1]);
      expect(await countsFor(em, b)).toEqual([0, 0, 0, 0, 0, 0]);
      // Not even an unfiltered scan leaks: every visible row is tenant A's.
      const tenantsOfFiles: Array<{ tenant_id: string }> = await em.query(`SELECT DISTINCT tenant_id FROM files`);
      expect(tenantsOfFiles).toEqual([{ tenant_id: a.tenantId }]);
    });
  });

  it("cannot update or delete another tenant's rows", async () => {
    await tx.run(a.tenantId, async (em) => {
      expect((await em.update(CaseEntity, { id: b.caseId }, { title: 'hijacked' })).affected).toBe(0);
      expect((await em.update(TenantEntity, { id: b.tenantId }, { name: 'hijacked' })).affected).toBe(0);
      expect((await em.delete(WorkspaceEntity, { id: b.workspaceId })).affected).toBe(0);
      expect((await em.delete(FileVersionEntity, { tenantId: b.tenantId })).affected).toBe(0);
    });
    await tx.run(b.tenantId, async (em) => {
      expect(await countsFor(em, b)).toEqual([1, 1, 1, 1, 1, 1]);
      expect((await em.findOneByOrFail(CaseEntity, { id: b.caseId })).title).not.toBe('hijacked');
    });
  });

  it("rejects inserting or moving a row into another tenant", async () => {
    const other = { tenantId: b.tenantId, caseId: b.caseId };
    await expect(sqlStateOf(tx.run(a.tenantId, (em) => em.insert(CaseEntity, { ...aCase(), tenantId: b.tenantId })))).resolves.toBe(
      PgErrorCode.InsufficientPrivilege,
    );
    await expect(sqlStateOf(tx.run(a.tenantId, (em) => em.insert(FileEntity, aFile(other))))).resolves.toBe(
      PgErrorCode.InsufficientPrivilege,
    );
    await expect(sqlStateOf(tx.run(a.tenantId, (em) => em.insert(TenantEntity, { ...aTenant() })))).resolves.toBe(
      PgErrorCode.InsufficientPrivilege,
    );
    // WITH CHECK also applies to UPDATE: a row cannot be handed over to another tenant.
    await expect(
      sqlStateOf(tx.run(a.tenantId, (em) => em.update(WorkspaceEntity, { id: a.workspaceId }, { tenantId: b.tenantId }))),
    ).resolves.toBe(PgErrorCode.InsufficientPrivilege);
    await expect(
      sqlStateOf(tx.run(a.tenantId, (em) => em.query(`INSERT INTO audit_events (tenant_id, actor, action) VALUES ($1, 'x', 'y')`, [b.tenantId]))),
    ).resolves.toBe(PgErrorCode.InsufficientPrivilege);
  });

  it("cannot point a row of its own at another tenant's case (composite foreign keys)", async () => {
    // tenant_id passes RLS, but case_id is B's: the (tenant_id, case_id) key does not exist.
    const file = aFile({ tenantId: a.tenantId, caseId: b.caseId });
    await expect(sqlStateOf(tx.run(a.tenantId, (em) => em.insert(FileEntity, file)))).resolves.toBe(PgErrorCode.ForeignKeyViolation);
    const version = aFileVersion({ tenantId: a.tenantId, caseId: a.caseId, fileId: b.fileId }, { versionNo: 2 });
    await expect(sqlStateOf(tx.run(a.tenantId, (em) => em.insert(FileVersionEntity, version)))).resolves.toBe(
      PgErrorCode.ForeignKeyViolation,
    );
    // Nor make B's version the current version of A's file.
    await expect(
      sqlStateOf(tx.run(a.tenantId, (em) => em.update(FileEntity, { id: a.fileId }, { currentVersionId: b.versionId }))),
    ).resolves.toBe(PgErrorCode.ForeignKeyViolation);
  });

  it('shows nothing to a session that has not set a tenant', async () => {
    const fresh = createDataSource(testConfig());
    await fresh.initialize();
    try {
      const [{ tenants, cases, files, audit }] = await fresh.query(
        `SELECT (SELECT count(*)::int FROM tenants) AS tenants, (SELECT count(*)::int FROM cases) AS cases,
                (SELECT count(*)::int FROM files) AS files, (SELECT count(*)::int FROM audit_events) AS audit`,
      );
      expect({ tenants, cases, files, audit }).toEqual({ tenants: 0, cases: 0, files: 0, audit: 0 });
      await expect(sqlStateOf(fresh.query(`INSERT INTO tenants (name) VALUES ('no tenant')`))).resolves.toBe(
        PgErrorCode.InsufficientPrivilege,
      );
    } finally {
      await fresh.destroy();
    }
  });

  it('never leaks the tenant to the next user of a pooled connection', async () => {
    // One connection, so the second statement surely reuses the first one's session.
    const single = createDataSource({ ...testConfig(), database: { ...testConfig().database, poolSize: 1 } });
    await single.initialize();
    try {
      const singleTx = new TenantTransactions(single);
      const pidInTx: number = await singleTx.run(a.tenantId, async (em) => {
        expect(await em.countBy(CaseEntity, { id: a.caseId })).toBe(1);
        const [{ pid }] = await em.query(`SELECT pg_backend_pid() AS pid`);
        return pid;
      });
      const [{ pid, setting, cases }] = await single.query(
        `SELECT pg_backend_pid() AS pid, current_setting('app.tenant_id', true) AS setting, (SELECT count(*)::int FROM cases) AS cases`,
      );
      expect(pid).toBe(pidInTx);
      expect(setting).toBe('');
      expect(cases).toBe(0);
      // And a rolled-back transaction does not leave it behind either.
      await expect(
        singleTx.run(a.tenantId, async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const [{ after }] = await single.query(`SELECT (SELECT count(*)::int FROM cases) AS after`);
      expect(after).toBe(0);
    } finally {
      await single.destroy();
    }
  });

  it('keeps audit_events append-only for the app role', async () => {
    await tx.run(a.tenantId, async (em) => {
      const rows: Array<{ n: number }> = await em.query(`SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1`, [a.tenantId]);
      expect(rows[0].n).toBe(1);
    });
    const attempts = [
      `UPDATE audit_events SET action = 'tampered' WHERE tenant_id = $1`,
      `DELETE FROM audit_events WHERE tenant_id = $1`,
    ];
    for (const sql of attempts) {
      await expect(sqlStateOf(tx.run(a.tenantId, (em) => em.query(sql, [a.tenantId])))).resolves.toBe(PgErrorCode.InsufficientPrivilege);
    }
    await expect(sqlStateOf(tx.run(a.tenantId, (em) => em.query(`TRUNCATE audit_events`)))).resolves.toBe(
      PgErrorCode.InsufficientPrivilege,
    );
    await tx.run(a.tenantId, async (em) => {
      const [event] = await em.find(AuditEventEntity, { where: { tenantId: a.tenantId } });
      expect(event.action).toBe('file.version.committed');
    });
  });

  it('rejects a malformed tenant id before it reaches SQL', async () => {
    await expect(tx.run('not-a-uuid', async () => 1)).rejects.toMatchObject({ code: 'INVALID_ID' });
    await expect(tx.run(randomUUID(), (em) => em.countBy(CaseEntity, {}))).resolves.toBe(0);
  });
});
