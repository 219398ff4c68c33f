import { decodeJwt, decodeProtectedHeader } from 'jose';
import { loadConfig } from '@case-storage/config';
import { Role } from '@case-storage/domain';
import { signDevToken } from './dev-token';

const TENANT = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';

describe('signDevToken', () => {
  const config = loadConfig('tooling', { NODE_ENV: 'test' });

  it('mints the documented claim format', async () => {
    const token = await signDevToken(config, { subject: 'alice', tenantId: TENANT, roles: [Role.User], ttlSeconds: 120 });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: 'alice', tenant_id: TENANT, roles: ['user'], iss: config.auth.issuer, aud: config.auth.audience });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
  });

  it('refuses without a shared secret', async () => {
    const jwksOnly = { ...config, auth: { issuer: 'i', audience: 'a', jwksUrl: 'https://idp.example/jwks' } };
    await expect(signDevToken(jwksOnly, { subject: 'a', tenantId: TENANT, roles: [Role.User] })).rejects.toThrow(/AUTH_JWT_SECRET/);
  });

  it('refuses in production even if a secret were present', async () => {
    await expect(signDevToken({ ...config, env: 'production' }, { subject: 'a', tenantId: TENANT, roles: [Role.User] })).rejects.toThrow(/AUTH_JWT_SECRET/);
  });

  it.each([
    ['a non-UUID tenant', { subject: 'a', tenantId: 'acme', roles: [Role.User] }],
    ['an empty subject', { subject: '', tenantId: TENANT, roles: [Role.User] }],
    ['no roles', { subject: 'a', tenantId: TENANT, roles: [] }],
    ['an unknown role', { subject: 'a', tenantId: TENANT, roles: ['root' as Role] }],
    ['a zero ttl', { subject: 'a', tenantId: TENANT, roles: [Role.User], ttlSeconds: 0 }],
  ])('refuses %s', async (_what, request) => {
    await expect(signDevToken(config, request)).rejects.toThrow();
  });
});
