import { randomUUID } from 'node:crypto';
import { Controller, Get, INestApplication, Param, Put } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AuthModule, CaseAccessService, CurrentPrincipal, Public } from '@case-storage/auth';
import { AppConfig, ConfigModule } from '@case-storage/config';
import { Principal, Role } from '@case-storage/domain';
import { PersistenceModule } from '@case-storage/persistence';
import { ErrorFilter } from '@case-storage/platform';
import { RedisModule } from '@case-storage/redis';
import { aSubject, bearer, forgeTestToken, migrateTestDatabase, mintTestToken, testConfig, TestCaller } from '@case-storage/testing';
import { TenancyAdminModule } from '../index';

/** Stand-ins for real case routes: each does exactly what a real one must do first. */
@Controller('api/test/cases')
class CaseProbeController {
  constructor(private readonly access: CaseAccessService) {}

  @Get(':caseId')
  async read(@CurrentPrincipal() principal: Principal, @Param('caseId') caseId: string): Promise<{ caseId: string; role: string }> {
    const { caseRecord, membership } = await this.access.assertCaseAccess(principal, caseId);
    return { caseId: caseRecord.id, role: membership.role };
  }

  @Put(':caseId')
  async write(@CurrentPrincipal() principal: Principal, @Param('caseId') caseId: string): Promise<{ ok: true }> {
    await this.access.assertCaseAccess(principal, caseId, 'editor');
    return { ok: true };
  }
}

@Public()
@Controller('api/test/public')
class PublicProbeController {
  @Get()
  ping(): { ok: true } {
    return { ok: true };
  }
}

describe('auth guard, case access and the tenancy admin API (real PostgreSQL)', () => {
  let config: AppConfig;
  let app: INestApplication;
  let http: ReturnType<typeof request>;

  // Fresh ids per run: the database is shared with other test files and earlier runs.
  const productTenant = randomUUID();
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const caseA1 = randomUUID();
  const caseA2 = randomUUID();
  const caseB1 = randomUUID();
  const alice = aSubject('alice');
  const bob = aSubject('bob');
  const carol = aSubject('carol');

  const admin: TestCaller = { subject: 'case-management-product', tenantId: productTenant, roles: [Role.Admin] };
  const token = (caller: TestCaller): Promise<string> => mintTestToken(config, caller);
  const asAdmin = async (): Promise<string> => bearer(await token(admin));
  const user = (subject: string, tenantId = tenantA): TestCaller => ({ subject, tenantId, roles: [Role.User] });

  beforeAll(async () => {
    config = testConfig();
    await migrateTestDatabase(config);
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), PersistenceModule.forRoot(), RedisModule, AuthModule.forRoot(), TenancyAdminModule],
      controllers: [CaseProbeController, PublicProbeController],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    http = request(app.getHttpServer());

    // Tenant A: alice on both cases (viewer on A2), bob only on A1 — an ethical wall keeps bob
    // out of A2. Tenant B: one case, with a member called alice too (a different person).
    const auth = await asAdmin();
    for (const [id, name] of [
      [tenantA, 'Tenant A'],
      [tenantB, 'Tenant B'],
    ]) {
      await http.put(`/api/admin/tenants/${id}`).set('Authorization', auth).send({ name }).expect(200);
    }
    await http.put(`/api/admin/tenants/${tenantA}/cases/${caseA1}`).set('Authorization', auth).send({ title: 'A1' }).expect(200);
    await http.put(`/api/admin/tenants/${tenantA}/cases/${caseA2}`).set('Authorization', auth).send({ title: 'A2' }).expect(200);
    await http.put(`/api/admin/tenants/${tenantB}/cases/${caseB1}`).set('Authorization', auth).send({ title: 'B1' }).expect(200);
    const members: [string, string, string, string][] = [
      [tenantA, caseA1, alice, 'owner'],
      [tenantA, caseA2, alice, 'viewer'],
      [tenantA, caseA1, bob, 'editor'],
      [tenantB, caseB1, alice, 'owner'],
    ];
    for (const [tenant, kase, subject, role] of members) {
      await http.put(`/api/admin/tenants/${tenant}/cases/${kase}/members/${subject}`).set('Authorization', auth).send({ role }).expect(200);
    }
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('authentication on every route', () => {
    it('lets @Public() routes through without a token', async () => {
      await http.get('/api/test/public').expect(200, { ok: true });
    });

    it.each(['/api/test/cases/' + randomUUID(), `/api/admin/tenants/${randomUUID()}/cases/${randomUUID()}/members`])(
      'answers 401 MISSING_TOKEN without a token on %s',
      async (path) => {
        const res = await http.get(path).expect(401);
        expect(res.body).toEqual({ code: 'MISSING_TOKEN', message: expect.stringContaining('Bearer'), requestId: expect.any(String) });
      },
    );

    it('answers 401 MISSING_TOKEN for a non-Bearer scheme', async () => {
      const res = await http.get(`/api/test/cases/${caseA1}`).set('Authorization', 'Basic YWxpY2U6cHc=').expect(401);
      expect(res.body.code).toBe('MISSING_TOKEN');
    });

    it.each([
      ['a bad signature', { secret: 'a-different-secret-that-is-long-enough-to-sign' }, 'INVALID_TOKEN'],
      ['alg none', { unsigned: true }, 'INVALID_TOKEN'],
      ['a wrong issuer', { issuer: 'https://someone-else.example' }, 'INVALID_TOKEN'],
      ['a wrong audience', { audience: 'another-service' }, 'INVALID_TOKEN'],
      ['no tenant_id', { omitClaims: ['tenant_id'] }, 'INVALID_TOKEN'],
      ['an unknown role', { claims: { roles: ['superuser'] } }, 'INVALID_TOKEN'],
      ['an expiry an hour ago', { expiresAt: Math.floor(Date.now() / 1000) - 3600 }, 'TOKEN_EXPIRED'],
    ] as const)('answers 401 for a token with %s', async (_what, defects, code) => {
      const forged = await forgeTestToken(config, user(alice), defects);
      const res = await http.get(`/api/test/cases/${caseA1}`).set('Authorization', bearer(forged)).expect(401);
      expect(res.body.code).toBe(code);
    });

    it('answers 401 for a token that is not a JWT', async () => {
      const res = await http.get(`/api/test/cases/${caseA1}`).set('Authorization', 'Bearer not.a.jwt').expect(401);
      expect(res.body.code).toBe('INVALID_TOKEN');
    });

    it('answers 403 FORBIDDEN_ROLE when a user token calls the admin API, and changes nothing', async () => {
      const tenant = randomUUID();
      const res = await http
        .put(`/api/admin/tenants/${tenant}`)
        .set('Authorization', bearer(await token({ subject: alice, tenantId: tenant, roles: [Role.User] })))
        .send({ name: 'sneaky' })
        .expect(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN_ROLE', details: { requiredRoles: ['admin'] } });
      await http.get(`/api/admin/tenants/${tenant}/cases/${randomUUID()}/members`).set('Authorization', await asAdmin()).expect(404);
    });
  });

  describe('case access (tenant scope and ethical walls)', () => {
    it('lets a member in (200) and reports its case role', async () => {
      const res = await http.get(`/api/test/cases/${caseA1}`).set('Authorization', bearer(await token(user(alice)))).expect(200);
      expect(res.body).toEqual({ caseId: caseA1, role: 'owner' });
    });

    it('answers 404 CASE_NOT_FOUND to a non-member of the same tenant (ethical wall)', async () => {
      const res = await http.get(`/api/test/cases/${caseA2}`).set('Authorization', bearer(await token(user(bob)))).expect(404);
      expect(res.body).toMatchObject({ code: 'CASE_NOT_FOUND', details: { caseId: caseA2 } });
    });

    it("answers 404 to tenant B's token for tenant A's case, even for a subject that is a member there", async () => {
      // `alice` of tenant B is not `alice` of tenant A: the token's tenant scopes everything.
      const res = await http.get(`/api/test/cases/${caseA1}`).set('Authorization', bearer(await token(user(alice, tenantB)))).expect(404);
      expect(res.body.code).toBe('CASE_NOT_FOUND');
    });

    it('answers a case that does not exist exactly like a walled-off one', async () => {
      const bobToken = bearer(await token(user(bob)));
      const missing = await http.get(`/api/test/cases/${randomUUID()}`).set('Authorization', bobToken).expect(404);
      const walled = await http.get(`/api/test/cases/${caseA2}`).set('Authorization', bobToken).expect(404);
      const otherTenant = await http.get(`/api/test/cases/${caseB1}`).set('Authorization', bobToken).expect(404);
      for (const res of [walled, otherTenant]) {
        expect({ code: res.body.code, message: res.body.message }).toEqual({ code: missing.body.code, message: missing.body.message });
      }
    });

    it('answers 400 INVALID_ID for a malformed case id', async () => {
      const res = await http.get('/api/test/cases/not-a-uuid').set('Authorization', bearer(await token(user(alice)))).expect(400);
      expect(res.body.code).toBe('INVALID_ID');
    });

    it('answers 403 INSUFFICIENT_CASE_ROLE to a viewer on an editor route, 200 to an editor', async () => {
      const res = await http.put(`/api/test/cases/${caseA2}`).set('Authorization', bearer(await token(user(alice)))).expect(403);
      expect(res.body).toMatchObject({ code: 'INSUFFICIENT_CASE_ROLE', details: { caseRole: 'viewer', requiredCaseRole: 'editor' } });
      await http.put(`/api/test/cases/${caseA1}`).set('Authorization', bearer(await token(user(bob)))).expect(200);
    });

    it('does not let an admin token read a case it is not a member of', async () => {
      const res = await http
        .get(`/api/test/cases/${caseA1}`)
        .set('Authorization', bearer(await token({ subject: 'case-management-product', tenantId: tenantA, roles: [Role.Admin] })))
        .expect(404);
      expect(res.body.code).toBe('CASE_NOT_FOUND');
    });

    it('takes effect immediately when a membership is granted and revoked', async () => {
      const carolToken = bearer(await token(user(carol)));
      const path = `/api/admin/tenants/${tenantA}/cases/${caseA2}/members/${carol}`;
      await http.get(`/api/test/cases/${caseA2}`).set('Authorization', carolToken).expect(404);
      await http.put(path).set('Authorization', await asAdmin()).send({ role: 'editor' }).expect(200);
      await http.get(`/api/test/cases/${caseA2}`).set('Authorization', carolToken).expect(200, { caseId: caseA2, role: 'editor' });
      await http.delete(path).set('Authorization', await asAdmin()).expect(204);
      await http.get(`/api/test/cases/${caseA2}`).set('Authorization', carolToken).expect(404);
    });
  });

  describe('tenancy admin API', () => {
    it('upserts a tenant idempotently and acts on the tenant in the URL, not the token', async () => {
      const id = randomUUID();
      const auth = await asAdmin(); // its tenant_id is productTenant, not `id`
      const first = await http.put(`/api/admin/tenants/${id}`).set('Authorization', auth).send({ name: 'Smith & Partners' }).expect(200);
      expect(first.body).toMatchObject({ id, name: 'Smith & Partners', status: 'active' });
      const again = await http.put(`/api/admin/tenants/${id}`).set('Authorization', auth).send({ name: 'Smith & Partners' }).expect(200);
      expect(again.body).toEqual(first.body);
      const suspended = await http.put(`/api/admin/tenants/${id}`).set('Authorization', auth).send({ name: 'Smith & Partners', status: 'suspended' }).expect(200);
      expect(suspended.body).toMatchObject({ id, status: 'suspended', createdAt: first.body.createdAt });
    });

    it('upserts a case idempotently; an omitted status keeps the current one', async () => {
      const id = randomUUID();
      const path = `/api/admin/tenants/${tenantA}/cases/${id}`;
      const auth = await asAdmin();
      const first = await http.put(path).set('Authorization', auth).send({ title: 'Doe v. Roe' }).expect(200);
      expect(first.body).toMatchObject({ id, tenantId: tenantA, title: 'Doe v. Roe', status: 'open' });
      expect((await http.put(path).set('Authorization', auth).send({ title: 'Doe v. Roe' }).expect(200)).body).toEqual(first.body);
      await http.put(path).set('Authorization', auth).send({ title: 'Doe v. Roe', status: 'closed' }).expect(200);
      const renamed = await http.put(path).set('Authorization', auth).send({ title: 'Doe v. Roe (appeal)' }).expect(200);
      expect(renamed.body).toMatchObject({ title: 'Doe v. Roe (appeal)', status: 'closed' });
    });

    it('answers 404 TENANT_NOT_FOUND for a case of an unknown tenant', async () => {
      const res = await http.put(`/api/admin/tenants/${randomUUID()}/cases/${randomUUID()}`).set('Authorization', await asAdmin()).send({ title: 'x' }).expect(404);
      expect(res.body.code).toBe('TENANT_NOT_FOUND');
    });

    it("answers 409 CASE_ID_TAKEN for a case id of another tenant, and leaves that case alone", async () => {
      const auth = await asAdmin();
      const res = await http.put(`/api/admin/tenants/${tenantB}/cases/${caseA1}`).set('Authorization', auth).send({ title: 'hijack' }).expect(409);
      expect(res.body.code).toBe('CASE_ID_TAKEN');
      await http.get(`/api/test/cases/${caseA1}`).set('Authorization', bearer(await token(user(alice)))).expect(200);
    });

    it('sets, lists, changes and removes members idempotently', async () => {
      const auth = await asAdmin();
      const kase = randomUUID();
      const dave = aSubject('dave');
      const base = `/api/admin/tenants/${tenantA}/cases/${kase}`;
      await http.put(base).set('Authorization', auth).send({ title: 'members' }).expect(200);

      const set = await http.put(`${base}/members/${dave}`).set('Authorization', auth).send({ role: 'viewer' }).expect(200);
      expect(set.body).toMatchObject({ tenantId: tenantA, caseId: kase, subject: dave, role: 'viewer' });
      expect((await http.put(`${base}/members/${dave}`).set('Authorization', auth).send({ role: 'viewer' }).expect(200)).body).toEqual(set.body);
      expect((await http.get(`${base}/members`).set('Authorization', auth).expect(200)).body.members).toEqual([set.body]);

      const changed = await http.put(`${base}/members/${dave}`).set('Authorization', auth).send({ role: 'owner' }).expect(200);
      expect(changed.body.role).toBe('owner');

      await http.delete(`${base}/members/${dave}`).set('Authorization', auth).expect(204);
      await http.delete(`${base}/members/${dave}`).set('Authorization', auth).expect(204);
      expect((await http.get(`${base}/members`).set('Authorization', auth).expect(200)).body).toEqual({ members: [] });
    });

    it('shuts a removed member out at once, though their access was cached a moment ago', async () => {
      const auth = await asAdmin();
      const kase = randomUUID();
      const erin = aSubject('erin');
      const base = `/api/admin/tenants/${tenantA}/cases/${kase}`;
      await http.put(base).set('Authorization', auth).send({ title: 'wall' }).expect(200);
      await http.put(`${base}/members/${erin}`).set('Authorization', auth).send({ role: 'viewer' }).expect(200);
      const erinToken = bearer(await token(user(erin)));
      await http.get(`/api/test/cases/${kase}`).set('Authorization', erinToken).expect(200);
      await http.get(`/api/test/cases/${kase}`).set('Authorization', erinToken).expect(200); // served from the access cache

      await http.delete(`${base}/members/${erin}`).set('Authorization', auth).expect(204);
      expect((await http.get(`/api/test/cases/${kase}`).set('Authorization', erinToken).expect(404)).body.code).toBe('CASE_NOT_FOUND');
    });

    it('answers 404 CASE_NOT_FOUND for membership calls on an unknown case', async () => {
      const auth = await asAdmin();
      const base = `/api/admin/tenants/${tenantA}/cases/${randomUUID()}`;
      expect((await http.get(`${base}/members`).set('Authorization', auth).expect(404)).body.code).toBe('CASE_NOT_FOUND');
      expect((await http.put(`${base}/members/${alice}`).set('Authorization', auth).send({ role: 'owner' }).expect(404)).body.code).toBe('CASE_NOT_FOUND');
      expect((await http.delete(`${base}/members/${alice}`).set('Authorization', auth).expect(404)).body.code).toBe('CASE_NOT_FOUND');
      // A case of tenant B is unknown when addressed under tenant A.
      expect((await http.get(`/api/admin/tenants/${tenantA}/cases/${caseB1}/members`).set('Authorization', auth).expect(404)).body.code).toBe('CASE_NOT_FOUND');
    });

    it.each([
      ['a missing name', `/api/admin/tenants/${randomUUID()}`, {}, 'name'],
      ['a blank name', `/api/admin/tenants/${randomUUID()}`, { name: '   ' }, 'name'],
      ['an unknown tenant status', `/api/admin/tenants/${randomUUID()}`, { name: 'x', status: 'deleted' }, 'status'],
      ['an unknown field', `/api/admin/tenants/${randomUUID()}`, { name: 'x', plan: 'gold' }, '(body)'],
      ['a bad case status', `/api/admin/tenants/${randomUUID()}/cases/${randomUUID()}`, { title: 'x', status: 'gone' }, 'status'],
      ['a bad member role', `/api/admin/tenants/${randomUUID()}/cases/${randomUUID()}/members/x`, { role: 'admin' }, 'role'],
    ])('answers 400 VALIDATION_FAILED for %s', async (_what, path, body, field) => {
      const res = await http.put(path).set('Authorization', await asAdmin()).send(body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.issues).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('answers 400 INVALID_ID for a malformed tenant id', async () => {
      const res = await http.put('/api/admin/tenants/acme').set('Authorization', await asAdmin()).send({ name: 'Acme' }).expect(400);
      expect(res.body.code).toBe('INVALID_ID');
    });
  });
});
