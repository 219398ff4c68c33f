import { AppConfig } from '@case-storage/config';
import { isUuid, Role } from '@case-storage/domain';
import { SignJWT } from 'jose';
import { MAX_SUBJECT_LENGTH, ROLES_CLAIM, TENANT_ID_CLAIM } from './token-claims';

export interface DevTokenRequest {
  readonly subject: string;
  readonly tenantId: string;
  readonly roles: readonly Role[];
  /** Lifetime in seconds; one hour unless said otherwise. */
  readonly ttlSeconds?: number;
}

export const DEFAULT_DEV_TOKEN_TTL_SECONDS = 3600;

/**
 * Signs an HS256 token with the configured shared secret, in exactly the format the
 * case-management product issues (see the README). For development and tests only: it refuses
 * when no shared secret is configured or the environment is production.
 */
export async function signDevToken(
  config: Pick<AppConfig, 'auth' | 'env'>,
  request: DevTokenRequest,
): Promise<string> {
  const secret = config.auth.jwtSecret;
  if (config.env === 'production' || !secret) {
    throw new Error('dev tokens need the shared secret AUTH_JWT_SECRET, which only development and test configurations have');
  }
  const { subject, tenantId, roles } = request;
  const ttlSeconds = request.ttlSeconds ?? DEFAULT_DEV_TOKEN_TTL_SECONDS;
  if (subject.trim() === '' || subject.length > MAX_SUBJECT_LENGTH) {
    throw new Error(`subject must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`);
  }
  if (!isUuid(tenantId)) {
    throw new Error(`tenantId must be a UUID, got "${tenantId}"`);
  }
  const known = new Set<string>(Object.values(Role));
  if (roles.length === 0 || roles.some((r) => !known.has(r))) {
    throw new Error(`roles must be a non-empty list of ${[...known].join(', ')}`);
  }
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new Error(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  }
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ [TENANT_ID_CLAIM]: tenantId.toLowerCase(), [ROLES_CLAIM]: [...new Set(roles)] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(config.auth.issuer)
    .setAudience(config.auth.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(secret.reveal()));
}
