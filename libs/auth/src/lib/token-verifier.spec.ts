import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig, loadConfig } from '@case-storage/config';
import { Role } from '@case-storage/domain';
import { exportJWK, generateKeyPair, JWTPayload, KeyLike, SignJWT, UnsecuredJWT } from 'jose';
import { AuthError, AuthErrorCode } from './auth-error';
import { signDevToken } from './dev-token';
import { CLOCK_TOLERANCE_SECONDS, TokenVerifier } from './token-verifier';

const TENANT = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
const config: AppConfig = loadConfig('tooling', { NODE_ENV: 'test' });
const secret = (): Uint8Array => new TextEncoder().encode(config.auth.jwtSecret?.reveal() ?? '');
const now = (): number => Math.floor(Date.now() / 1000);

function goodClaims(): JWTPayload {
  return { sub: 'alice', tenant_id: TENANT, roles: ['user'] };
}

/** Signs whatever it is given, so each test can break exactly one thing. */
async function sign(
  claims: JWTPayload = goodClaims(),
  opts: { key?: KeyLike | Uint8Array; alg?: string; kid?: string; iss?: string | null; aud?: string | null; exp?: number | null } = {},
): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256', ...(opts.kid ? { kid: opts.kid } : {}) }).setIssuedAt();
  if (opts.iss !== null) jwt = jwt.setIssuer(opts.iss ?? config.auth.issuer);
  if (opts.aud !== null) jwt = jwt.setAudience(opts.aud ?? config.auth.audience);
  if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? now() + 600);
  return jwt.sign(opts.key ?? secret());
}

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AuthError)) {
    throw new Error(`expected an AuthError, got ${error instanceof Error ? error.stack : String(error)}`);
  }
  return error;
}

describe('TokenVerifier with the shared secret (HS256)', () => {
  const verifier = new TokenVerifier(config.auth);

  it('accepts a well-formed token and yields the principal', async () => {
    const principal = await verifier.verify(await sign({ sub: 'alice', tenant_id: TENANT.toUpperCase(), roles: ['user', 'admin', 'user'] }));
    expect(principal).toEqual({ subject: 'alice', tenantId: TENANT, roles: [Role.User, Role.Admin] });
  });

  it('accepts what signDevToken mints', async () => {
    const token = await signDevToken(config, { subject: 'bob', tenantId: TENANT, roles: [Role.Admin], ttlSeconds: 60 });
    await expect(verifier.verify(token)).resolves.toEqual({ subject: 'bob', tenantId: TENANT, roles: [Role.Admin] });
  });

  it.each([
    ['a wrong issuer', { iss: 'https://evil.example' }, 'iss'],
    ['no issuer', { iss: null }, 'iss'],
    ['a wrong audience', { aud: 'some-other-service' }, 'aud'],
    ['no audience', { aud: null }, 'aud'],
    ['no expiry', { exp: null }, 'exp'],
  ] as const)('rejects %s', async (_what, opts, claim) => {
    const error = await failure(verifier.verify(await sign(goodClaims(), opts)));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.httpStatus).toBe(401);
    expect(error.details).toMatchObject({ claim });
  });

  it('rejects a token signed with another secret', async () => {
    const error = await failure(verifier.verify(await sign(goodClaims(), { key: new TextEncoder().encode('x'.repeat(40)) })));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.message).toMatch(/signature/);
  });

  it('rejects a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await sign()).split('.');
    const forged = Buffer.from(JSON.stringify({ ...goodClaims(), roles: ['admin'], iss: config.auth.issuer, aud: config.auth.audience, exp: now() + 600 })).toString('base64url');
    const error = await failure(verifier.verify(`${header}.${forged}.${signature}`));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
  });

  it('rejects an unsecured token (alg none)', async () => {
    const token = new UnsecuredJWT(goodClaims()).setIssuer(config.auth.issuer).setAudience(config.auth.audience).setExpirationTime(now() + 600).encode();
    const error = await failure(verifier.verify(token));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
  });

  it('rejects HS512 even with the right secret: only HS256 is configured', async () => {
    const error = await failure(verifier.verify(await sign(goodClaims(), { alg: 'HS512' })));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.message).toMatch(/algorithm/);
  });

  it('rejects an expired token as TOKEN_EXPIRED', async () => {
    const error = await failure(verifier.verify(await sign(goodClaims(), { exp: now() - CLOCK_TOLERANCE_SECONDS - 60 })));
    expect(error.code).toBe(AuthErrorCode.TokenExpired);
    expect(error.httpStatus).toBe(401);
  });

  it('tolerates a few seconds of clock drift on exp', async () => {
    await expect(verifier.verify(await sign(goodClaims(), { exp: now() - 5 }))).resolves.toMatchObject({ subject: 'alice' });
  });

  it('rejects a token that is not valid yet', async () => {
    const error = await failure(verifier.verify(await sign({ ...goodClaims(), nbf: now() + CLOCK_TOLERANCE_SECONDS + 120 })));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.details).toMatchObject({ claim: 'nbf' });
  });

  it.each([
    ['no tenant', { sub: 'alice', roles: ['user'] }, 'tenant_id'],
    ['a tenant that is not a UUID', { sub: 'alice', tenant_id: 'acme', roles: ['user'] }, 'tenant_id'],
    ['a numeric tenant', { sub: 'alice', tenant_id: 42, roles: ['user'] }, 'tenant_id'],
    ['no subject', { tenant_id: TENANT, roles: ['user'] }, 'sub'],
    ['a blank subject', { sub: '  ', tenant_id: TENANT, roles: ['user'] }, 'sub'],
    ['no roles', { sub: 'alice', tenant_id: TENANT }, 'roles'],
    ['roles as a string', { sub: 'alice', tenant_id: TENANT, roles: 'admin' }, 'roles'],
    ['an empty role list', { sub: 'alice', tenant_id: TENANT, roles: [] }, 'roles'],
    ['an unknown role', { sub: 'alice', tenant_id: TENANT, roles: ['user', 'superuser'] }, 'roles'],
    ['a non-string role', { sub: 'alice', tenant_id: TENANT, roles: [1] }, 'roles'],
  ] as const)('rejects a token with %s', async (_what, claims, claim) => {
    const error = await failure(verifier.verify(await sign(claims as JWTPayload)));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.details).toMatchObject({ claim });
  });

  it.each(['', 'not-a-jwt', 'a.b.c', 'eyJhbGciOiJIUzI1NiJ9.e30'])('rejects the malformed token %p', async (token) => {
    const error = await failure(verifier.verify(token));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
  });
});

describe('TokenVerifier with a JWKS URL (RS256 / ES256)', () => {
  let server: Server;
  let jwksUrl: string;
  let rsa: { publicKey: KeyLike; privateKey: KeyLike };
  let ec: { publicKey: KeyLike; privateKey: KeyLike };
  let verifier: TokenVerifier;
  let jwksRequests = 0;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    server = createServer((_req, res) => {
      jwksRequests += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    verifier = new TokenVerifier({ issuer: config.auth.issuer, audience: config.auth.audience, jwksUrl });
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  });

  it('accepts an RS256 token signed by a published key', async () => {
    const token = await sign(goodClaims(), { alg: 'RS256', kid: 'rsa-1', key: rsa.privateKey });
    await expect(verifier.verify(token)).resolves.toEqual({ subject: 'alice', tenantId: TENANT, roles: [Role.User] });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('accepts an ES256 token signed by a published key', async () => {
    const token = await sign(goodClaims(), { alg: 'ES256', kid: 'ec-1', key: ec.privateKey });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'alice' });
  });

  it('rejects a token signed by a key the provider does not publish', async () => {
    const stranger = await generateKeyPair('RS256');
    const token = await sign(goodClaims(), { alg: 'RS256', kid: 'rsa-1', key: stranger.privateKey });
    const error = await failure(verifier.verify(token));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
  });

  it('rejects an unknown kid', async () => {
    const token = await sign(goodClaims(), { alg: 'RS256', kid: 'rsa-unknown', key: rsa.privateKey });
    const error = await failure(verifier.verify(token));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
  });

  it('rejects HS256 when only a key set is configured (no algorithm confusion)', async () => {
    const error = await failure(verifier.verify(await sign()));
    expect(error.code).toBe(AuthErrorCode.InvalidToken);
    expect(error.message).toMatch(/algorithm/);
  });

  it('still checks issuer and expiry on key-set tokens', async () => {
    const wrongIssuer = await sign(goodClaims(), { alg: 'ES256', kid: 'ec-1', key: ec.privateKey, iss: 'https://evil.example' });
    expect((await failure(verifier.verify(wrongIssuer))).code).toBe(AuthErrorCode.InvalidToken);
    const expired = await sign(goodClaims(), { alg: 'ES256', kid: 'ec-1', key: ec.privateKey, exp: now() - 3600 });
    expect((await failure(verifier.verify(expired))).code).toBe(AuthErrorCode.TokenExpired);
  });

  it('answers 503 when the key set cannot be fetched', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const offline = new TokenVerifier({ issuer: config.auth.issuer, audience: config.auth.audience, jwksUrl: `http://127.0.0.1:${port}/jwks` });
    const error = await failure(offline.verify(await sign(goodClaims(), { alg: 'RS256', kid: 'rsa-1', key: rsa.privateKey })));
    expect(error.code).toBe(AuthErrorCode.KeySourceUnavailable);
    expect(error.httpStatus).toBe(503);
  });

  it('refuses to start without any key source', () => {
    expect(() => new TokenVerifier({ issuer: 'i', audience: 'a' })).toThrow(/AUTH_JWT_SECRET/);
  });

  it('accepts both kinds when both are configured (non-production only)', async () => {
    const both = new TokenVerifier({ ...config.auth, jwksUrl });
    await expect(both.verify(await sign())).resolves.toMatchObject({ subject: 'alice' });
    await expect(both.verify(await sign(goodClaims(), { alg: 'RS256', kid: 'rsa-1', key: rsa.privateKey }))).resolves.toMatchObject({ subject: 'alice' });
  });
});
