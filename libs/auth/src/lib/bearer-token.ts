import { AuthError, AuthErrorCode } from './auth-error';

const BEARER = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)[ ]*$/i;

/** Pulls the token out of an `Authorization: Bearer <token>` header value. */
export function extractBearerToken(header: string | string[] | undefined): string {
  if (header === undefined || header === '') {
    throw new AuthError(AuthErrorCode.MissingToken, 'This endpoint needs a bearer token: send "Authorization: Bearer <token>".');
  }
  if (Array.isArray(header)) {
    throw new AuthError(AuthErrorCode.InvalidToken, 'Send exactly one Authorization header.');
  }
  const match = BEARER.exec(header);
  if (!match) {
    throw new AuthError(AuthErrorCode.MissingToken, 'The Authorization header must use the Bearer scheme: "Authorization: Bearer <token>".');
  }
  return match[1];
}
