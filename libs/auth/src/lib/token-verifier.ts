import { AppConfig } from '@case-storage/config';
import { Principal } from '@case-storage/domain';
import { createRemoteJWKSet, errors, jwtVerify, JWTPayload, JWTVerifyGetKey } from 'jose';
import { AuthError, AuthErrorCode } from './auth-error';
import { principalFromClaims } from './token-claims';

export type AuthSettings = AppConfig['auth'];

/** Leeway for `exp`/`nbf` so small clock drift between the issuer and us is not an outage. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** The shared secret signs with HMAC; the identity provider's keys are RSA or EC. */
const SHARED_SECRET_ALGORITHMS = ['HS256'] as const;
const KEY_SET_ALGORITHMS = ['RS256', 'ES256'] as const;

export interface TokenVerifierOptions {
  /** How long one JWKS fetch may take. */
  readonly jwksTimeoutMs?: number;
}

/**
 * Verifies bearer tokens and yields the caller's {@link Principal}.
 *
 * The key is chosen by the token's `alg`, and only among the sources that are configured:
 * HS256 only with a shared secret (development, tests), RS256/ES256 only with a JWKS URL
 * (production). An HS256 token is therefore never checked against a public key, which
 * closes the classic algorithm-confusion hole, and `alg: none` is never accepted.
 */
export class TokenVerifier {
  private readonly algorithms: string[];
  private readonly getKey: JWTVerifyGetKey;

  constructor(
    private readonly settings: AuthSettings,
    options: TokenVerifierOptions = {},
  ) {
    const secret = settings.jwtSecret ? new TextEncoder().encode(settings.jwtSecret.reveal()) : undefined;
    const keySet = settings.jwksUrl
      ? createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: options.jwksTimeoutMs ?? 5_000 })
      : undefined;
    if (!secret && !keySet) {
      throw new Error('auth configuration needs a shared secret (AUTH_JWT_SECRET) or a key set URL (AUTH_JWKS_URL)');
    }
    this.algorithms = [...(secret ? SHARED_SECRET_ALGORITHMS : []), ...(keySet ? KEY_SET_ALGORITHMS : [])];

    this.getKey = async (header, token) => {
      // `jwtVerify` has already rejected any alg outside `this.algorithms`.
      if (header.alg === 'HS256' && secret) {
        return secret;
      }
      if (keySet) {
        try {
          return await keySet(header, token);
        } catch (error) {
          if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
            throw error;
          }
          // Unreachable, slow or broken key set: the provider's problem, not the caller's.
          throw new AuthError(
            AuthErrorCode.KeySourceUnavailable,
            'The identity provider\'s signing keys could not be fetched, so the token cannot be checked right now; retry shortly.',
            { reason: error instanceof Error ? error.message : String(error) },
          );
        }
      }
      throw new AuthError(AuthErrorCode.InvalidToken, `Tokens signed with ${String(header.alg)} are not accepted here.`);
    };
  }

  /** Verifies signature, algorithm, issuer, audience, `exp`/`nbf` and our claims. */
  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: this.algorithms,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw this.translate(error);
    }
    return principalFromClaims(payload);
  }

  private translate(error: unknown): Error {
    if (error instanceof AuthError) {
      return error;
    }
    if (error instanceof errors.JWTExpired) {
      return new AuthError(AuthErrorCode.TokenExpired, 'The token has expired; obtain a new one and retry.', {
        expiredAt: typeof error.payload.exp === 'number' ? new Date(error.payload.exp * 1000).toISOString() : undefined,
      });
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      return new AuthError(AuthErrorCode.InvalidToken, this.claimMessage(error.claim), {
        claim: error.claim,
        reason: error.reason,
      });
    }
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return new AuthError(
        AuthErrorCode.InvalidToken,
        `The token's signing algorithm is not accepted here; accepted: ${this.algorithms.join(', ')}.`,
      );
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return new AuthError(AuthErrorCode.InvalidToken, 'The token\'s signature does not verify; it was not issued for this service or was altered.');
    }
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
      return new AuthError(AuthErrorCode.InvalidToken, 'The token is signed with a key the identity provider does not publish (check its "kid").');
    }
    if (error instanceof errors.JOSEError) {
      return new AuthError(AuthErrorCode.InvalidToken, 'The bearer token is not a well-formed signed JWT.', { reason: error.code });
    }
    // Anything else is a bug on our side; let it surface as a 500 rather than a misleading 401.
    return error instanceof Error ? error : new Error(String(error));
  }

  private claimMessage(claim: string): string {
    switch (claim) {
      case 'iss':
        return `The token was not issued by "${this.settings.issuer}".`;
      case 'aud':
        return `The token is not meant for this service: its audience must include "${this.settings.audience}".`;
      case 'nbf':
        return 'The token is not valid yet ("nbf" is in the future); check the issuer\'s clock.';
      case 'exp':
        return 'The token has no usable "exp" claim; tokens must expire.';
      case 'iat':
        return 'The token\'s "iat" claim is invalid.';
      default:
        return `The token's "${claim}" claim is invalid.`;
    }
  }
}
