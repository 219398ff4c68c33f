import { aCase, aSubject, aTenant, createTestDataSource, migrateTestDatabase, tenancyOf } from '@case-storage/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditEventEntity } from './entities/audit-event.entity';
import { PersistenceError, PersistenceErrorCode } from './persistence.error';
import { TenancyRepository } from './tenancy.repository';
import { TenantTransactions } from './tenant-transactions.service';

describe('TenancyRepository', () => {
  let ds: DataSource;
  let tenancy: TenancyRepository;
  let transactions: TenantTransactions;

  beforeAll(async () => {
    await migrateTestDatabase();
    ds = await createTestDataSource();
    ({ tenancy, transactions } = tenancyOf(ds));
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('creates, finds and updates a tenant; repeating an upsert changes nothing', async () => {
    const input = aTenant({ status: undefined });
    const created = await tenancy.upsertTenant(input);
    expect(created).toEqual({ id: input.id, name: input.name, status: 'active', createdAt: expect.any(Date), updatedAt: expect.any(Date) });
    expect(await tenancy.findTenant(input.id)).toEqual(created);

    expect(await tenancy.upsertTenant(input)).toEqual(created);

    const suspended = await tenancy.upsertTenant({ ...input, name: 'Renamed LLP', status: 'suspended' });
    expect(suspended).toMatchObject({ id: input.id, name: 'Renamed LLP', status: 'suspended', createdAt: created.createdAt });
    expect(suspended.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
    // An omitted status keeps the current one.
    expect(await tenancy.upsertTenant({ id: input.id, name: 'Renamed again' })).toMatchObject({ status: 'suspended' });
  });

  it('returns null for an unknown tenant and rejects a malformed id', async () => {
    expect(await tenancy.findTenant(randomUUID())).toBeNull();
    await expect(tenancy.findTenant('tenant-1')).rejects.toMatchObject({ code: 'INVALID_ID', httpStatus: 400 });
  });

  it('creates, finds and updates a case within its tenant only', async () => {
    const tenant = await tenancy.upsertTenant(aTenant());
    const other = await tenancy.upsertTenant(aTenant());
    const input = aCase({ status: undefined });

    const created = await tenancy.upsertCase(tenant.id, input);
    expect(created).toEqual({
      id: input.id,
      tenantId: tenant.id,
      title: input.title,
      status: 'open',
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    expect(await tenancy.findCase(tenant.id, input.id)).toEqual(created);
    expect(await tenancy.upsertCase(tenant.id, input)).toEqual(created);
    expect(await tenancy.upsertCase(tenant.id, { ...input, status: 'closed' })).toMatchObject({ status: 'closed', title: input.title });

    // Another tenant neither sees the case nor can take its id.
    expect(await tenancy.findCase(other.id, input.id)).toBeNull();
    await expect(tenancy.upsertCase(other.id, { ...input, title: 'mine now' })).rejects.toMatchObject({
      code: PersistenceErrorCode.Conflict,
      httpStatus: 409,
    });
    expect(await tenancy.findCase(tenant.id, input.id)).toMatchObject({ title: input.title, tenantId: tenant.id });
  });

  it('refuses a case for a tenant that does not exist, and invalid values', async () => {
    await expect(tenancy.upsertCase(randomUUID(), aCase())).rejects.toMatchObject({ code: PersistenceErrorCode.NotFound });
    const tenant = await tenancy.upsertTenant(aTenant());
    const err: unknown = await tenancy.upsertCase(tenant.id, aCase({ title: '   ' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersistenceError);
    expect(err).toMatchObject({ code: PersistenceErrorCode.ConstraintViolation, details: { constraint: 'cases_title_check' } });
  });

  it('manages case members (the ethical wall)', async () => {
    const tenant = await tenancy.upsertTenant(aTenant());
    const kase = await tenancy.upsertCase(tenant.id, aCase());
    const [alice, bob] = [aSubject('alice'), aSubject('bob')];

    const aliceOwner = await tenancy.setCaseMember(tenant.id, kase.id, alice, 'owner');
    expect(aliceOwner).toEqual({
      id: expect.any(String),
      tenantId: tenant.id,
      caseId: kase.id,
      subject: alice,
      role: 'owner',
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    expect(await tenancy.setCaseMember(tenant.id, kase.id, alice, 'owner')).toEqual(aliceOwner);
    await tenancy.setCaseMember(tenant.id, kase.id, bob, 'viewer');
    const bobEditor = await tenancy.setCaseMember(tenant.id, kase.id, bob, 'editor');
    expect(bobEditor.role).toBe('editor');

    expect((await tenancy.listCaseMembers(tenant.id, kase.id)).map((m) => [m.subject, m.role])).toEqual([
      [alice, 'owner'],
      [bob, 'editor'],
    ]);
    expect(await tenancy.findMembership(tenant.id, kase.id, bob)).toEqual(bobEditor);

    expect(await tenancy.removeCaseMember(tenant.id, kase.id, bob)).toBe(true);
    expect(await tenancy.removeCaseMember(tenant.id, kase.id, bob)).toBe(false);
    expect(await tenancy.findMembership(tenant.id, kase.id, bob)).toBeNull();
    expect((await tenancy.listCaseMembers(tenant.id, kase.id)).map((m) => m.subject)).toEqual([alice]);
  });

  it("keeps memberships inside the tenant: no access to, or membership in, another tenant's case", async () => {
    const tenant = await tenancy.upsertTenant(aTenant());
    const other = await tenancy.upsertTenant(aTenant());
    const kase = await tenancy.upsertCase(tenant.id, aCase());
    const alice = aSubject();
    await tenancy.setCaseMember(tenant.id, kase.id, alice, 'viewer');

    expect(await tenancy.findMembership(other.id, kase.id, alice)).toBeNull();
    expect(await tenancy.listCaseMembers(other.id, kase.id)).toEqual([]);
    expect(await tenancy.removeCaseMember(other.id, kase.id, alice)).toBe(false);
    await expect(tenancy.setCaseMember(other.id, kase.id, alice, 'owner')).rejects.toMatchObject({
      code: PersistenceErrorCode.NotFound,
      httpStatus: 404,
    });
    await expect(tenancy.setCaseMember(tenant.id, randomUUID(), alice, 'owner')).rejects.toMatchObject({
      code: PersistenceErrorCode.NotFound,
    });
    expect(await tenancy.findMembership(tenant.id, kase.id, alice)).toMatchObject({ role: 'viewer' });
  });

  it('appends audit events in the caller’s transaction (rolled back with it)', async () => {
    const tenant = await tenancy.upsertTenant(aTenant());
    const kase = await tenancy.upsertCase(tenant.id, aCase());
    const event = await transactions.run(tenant.id, (em) =>
      tenancy.appendAudit(em, {
        tenantId: tenant.id,
        caseId: kase.id,
        actor: 'user-alice',
        action: 'case.member.set',
        details: { subject: 'user-bob', role: 'viewer' },
      }),
    );
    expect(event).toEqual({
      id: expect.stringMatching(/^\d+$/),
      tenantId: tenant.id,
      caseId: kase.id,
      fileId: null,
      actor: 'user-alice',
      action: 'case.member.set',
      details: { subject: 'user-bob', role: 'viewer' },
      occurredAt: expect.any(Date),
    });

    await expect(
      transactions.run(tenant.id, async (em) => {
        await tenancy.appendAudit(em, { tenantId: tenant.id, actor: 'user-alice', action: 'never.happened' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const actions = await transactions.run(tenant.id, (em) => em.find(AuditEventEntity, { where: { tenantId: tenant.id } }));
    expect(actions.map((a) => a.action)).toEqual(['case.member.set']);
  });
});
