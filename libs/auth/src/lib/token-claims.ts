import { isUuid, Principal, Role } from '@case-storage/domain';
import { AuthError, AuthErrorCode } from './auth-error';

/** Claim that carries the caller's tenant (a UUID). */
export const TENANT_ID_CLAIM = 'tenant_id';
/** Claim that carries the caller's roles (an array of {@link Role} values). */
export const ROLES_CLAIM = 'roles';
/** Longest `sub` we accept; it is stored as a case member's subject. */
export const MAX_SUBJECT_LENGTH = 255;

const knownRoles: ReadonlySet<string> = new Set<string>(Object.values(Role));

function invalid(claim: string, message: string): AuthError {
  return new AuthError(AuthErrorCode.InvalidToken, message, { claim });
}

/**
 * Turns an already signature- and time-checked claims set into a {@link Principal}.
 * Strict on purpose: an unknown role or a non-UUID tenant means the issuer and we disagree
 * about the token format, and guessing would be an authorization bug.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>>): Principal {
  const subject = claims['sub'];
  if (typeof subject !== 'string' || subject.trim() === '' || subject.length > MAX_SUBJECT_LENGTH) {
    throw invalid('sub', `The token's "sub" claim must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters.`);
  }
  const tenantId = claims[TENANT_ID_CLAIM];
  if (!isUuid(tenantId)) {
    throw invalid(TENANT_ID_CLAIM, `The token's "${TENANT_ID_CLAIM}" claim must be the caller's tenant UUID.`);
  }
  const roles = claims[ROLES_CLAIM];
  if (!Array.isArray(roles) || roles.length === 0) {
    throw invalid(ROLES_CLAIM, `The token's "${ROLES_CLAIM}" claim must be a non-empty array of roles (${[...knownRoles].join(', ')}).`);
  }
  const unknown = roles.filter((r) => typeof r !== 'string' || !knownRoles.has(r));
  if (unknown.length > 0) {
    throw new AuthError(
      AuthErrorCode.InvalidToken,
      `The token's "${ROLES_CLAIM}" claim has values this service does not know; allowed: ${[...knownRoles].join(', ')}.`,
      { claim: ROLES_CLAIM, unknownRoles: unknown },
    );
  }
  return {
    subject,
    tenantId: tenantId.toLowerCase(),
    roles: [...new Set(roles as Role[])],
  };
}
