import { CodedError } from '@case-storage/domain';

/** Stable codes of authentication and authorization failures; clients branch on them. */
export enum AuthErrorCode {
  /** No bearer token on a route that needs one. */
  MissingToken = 'MISSING_TOKEN',
  /** Malformed token, bad signature, disallowed algorithm, wrong issuer/audience, bad claims. */
  InvalidToken = 'INVALID_TOKEN',
  /** The token was valid once; the caller should fetch a fresh one. */
  TokenExpired = 'TOKEN_EXPIRED',
  /** Authenticated, but the route needs a role the token does not carry. */
  ForbiddenRole = 'FORBIDDEN_ROLE',
  /**
   * The case does not exist in the caller's tenant, or the caller is not a member of it.
   * Both answer the same so a case's existence never leaks across tenants or ethical walls.
   */
  CaseNotFound = 'CASE_NOT_FOUND',
  /** A member of the case whose case role is too low for the operation (e.g. a viewer writing). */
  InsufficientCaseRole = 'INSUFFICIENT_CASE_ROLE',
  /** The identity provider's key set could not be fetched: not the caller's fault, retry later. */
  KeySourceUnavailable = 'AUTH_KEY_SOURCE_UNAVAILABLE',
}

const authErrorStatus: Record<AuthErrorCode, number> = {
  [AuthErrorCode.MissingToken]: 401,
  [AuthErrorCode.InvalidToken]: 401,
  [AuthErrorCode.TokenExpired]: 401,
  [AuthErrorCode.ForbiddenRole]: 403,
  [AuthErrorCode.CaseNotFound]: 404,
  [AuthErrorCode.InsufficientCaseRole]: 403,
  [AuthErrorCode.KeySourceUnavailable]: 503,
};

export class AuthError extends CodedError<AuthErrorCode> {
  constructor(code: AuthErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, authErrorStatus, message, details);
  }
}
