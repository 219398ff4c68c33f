import { AuthError, AuthErrorCode } from './auth-error';
import { extractBearerToken } from './bearer-token';

function codeOf(header: string | string[] | undefined): AuthErrorCode | 'ok' {
  try {
    extractBearerToken(header);
    return 'ok';
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
}

describe('extractBearerToken', () => {
  it('returns the token of a Bearer header, any case of the scheme', () => {
    expect(extractBearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(extractBearerToken('bearer   abc.def-_ghi ')).toBe('abc.def-_ghi');
  });

  it.each([
    [undefined, AuthErrorCode.MissingToken],
    ['', AuthErrorCode.MissingToken],
    ['Basic dXNlcjpwYXNz', AuthErrorCode.MissingToken],
    ['Bearer', AuthErrorCode.MissingToken],
    ['Bearer a b', AuthErrorCode.MissingToken],
    [['Bearer a', 'Bearer b'], AuthErrorCode.InvalidToken],
  ])('rejects %p with %s', (header, code) => {
    expect(codeOf(header)).toBe(code);
  });
});
