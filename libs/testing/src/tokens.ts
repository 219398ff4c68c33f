import { AppConfig } from '@case-storage/config';
import { Role } from '@case-storage/domain';
import { JWTPayload, SignJWT, UnsecuredJWT } from 'jose';

// The token format is the one libs/auth documents and verifies. This file signs with jose
// directly rather than through @case-storage/auth's signDevToken because libs/auth's own
// dependencies (persistence) test with this library: importing auth here would be a cycle.
// The auth integration tests prove that what these helpers mint is what the verifier accepts.

/** Who a test token speaks for. Roles default to `[Role.User]`. */
export interface TestCaller {
  readonly subject: string;
  readonly tenantId: string;
  readonly roles?: readonly Role[];
}

/** A valid token, exactly as the case-management product would issue it. */
export function mintTestToken(config: Pick<AppConfig, 'auth'>, caller: TestCaller, ttlSeconds = 600): Promise<string> {
  return forgeTestToken(config, caller, { expiresAt: Math.floor(Date.now() / 1000) + ttlSeconds });
}

/** `Authorization` header value for supertest: `.set('Authorization', bearer(token))`. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** One deliberate defect per option, for tests that prove the verifier says no. */
export interface TokenDefects {
  /** Sign with this secret instead of the configured one (a bad signature). */
  readonly secret?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Absolute expiry in epoch seconds, e.g. an hour ago. */
  readonly expiresAt?: number;
  /** Claims to drop from the otherwise valid set (e.g. `['tenant_id']`). */
  readonly omitClaims?: readonly string[];
  /** Claims to set or replace (e.g. `{ roles: ['root'] }`). */
  readonly claims?: JWTPayload;
  /** Emit an unsecured token (`alg: none`). */
  readonly unsigned?: boolean;
}

/** A token that is valid except for the given defects (none: a valid token). */
export async function forgeTestToken(config: Pick<AppConfig, 'auth'>, caller: TestCaller, defects: TokenDefects): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    sub: caller.subject,
    tenant_id: caller.tenantId,
    roles: [...(caller.roles ?? [Role.User])],
    iss: defects.issuer ?? config.auth.issuer,
    aud: defects.audience ?? config.auth.audience,
    iat: now,
    exp: defects.expiresAt ?? now + 600,
    ...defects.claims,
  };
  for (const claim of defects.omitClaims ?? []) {
    delete payload[claim];
  }
  if (defects.unsigned) {
    return new UnsecuredJWT(payload).encode();
  }
  const secret = defects.secret ?? config.auth.jwtSecret?.reveal();
  if (!secret) {
    throw new Error('forgeTestToken needs a shared secret: configure AUTH_JWT_SECRET or pass defects.secret');
  }
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}
