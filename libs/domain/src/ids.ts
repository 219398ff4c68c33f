import { RequestError, RequestErrorCode } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Parses an id from a URL or body; a malformed one is a 400, never a database error. */
export function parseUuid(value: unknown, what: string): string {
  if (!isUuid(value)) {
    throw new RequestError(RequestErrorCode.InvalidId, `${what} must be a UUID`, { [what]: value });
  }
  return value.toLowerCase();
}
