import { checkFilePath } from '@case-storage/domain';
import { ManifestError, ManifestErrorCode } from './manifest.errors';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 5000;

/** A listing request in canonical form. */
export interface ManifestQuery {
  /** A folder path ("" for the whole case): only files under it are listed. */
  readonly prefix: string;
  readonly flat: boolean;
  readonly limit: number;
  /** List files whose path sorts after this one (keyset pagination). */
  readonly after: string | null;
}

interface CursorPayload {
  v: 1;
  /** The last path of the previous page. */
  a: string;
  /** The prefix the cursor belongs to. */
  p: string;
}

export function encodeCursor(after: string, prefix: string): string {
  const payload: CursorPayload = { v: 1, a: after, p: prefix };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, prefix: string): string {
  const invalid = () =>
    new ManifestError(ManifestErrorCode.InvalidCursor, 'cursor is not one this service issued for this listing; start again without a cursor');
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw invalid();
  let payload: Partial<CursorPayload>;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorPayload>;
  } catch {
    throw invalid();
  }
  if (payload?.v !== 1 || typeof payload.a !== 'string' || payload.p !== prefix) throw invalid();
  const check = checkFilePath(payload.a);
  if (!check.ok || check.path !== payload.a) throw invalid();
  return payload.a;
}

/** Parses the query string of `GET /api/cases/{caseId}/files`. */
export function parseManifestQuery(raw: Record<string, unknown>): ManifestQuery {
  const one = (name: string): string | undefined => {
    const value = raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      throw new ManifestError(ManifestErrorCode.InvalidFlag, `give "${name}" once, as a single value`);
    }
    return value;
  };

  let prefix = one('prefix') ?? '';
  prefix = prefix.replace(/\/+$/, '');
  if (prefix !== '') {
    const check = checkFilePath(prefix);
    if (!check.ok) throw new ManifestError(ManifestErrorCode.InvalidPrefix, `prefix: ${check.message}`, { prefix });
    prefix = check.path;
  }

  const flatRaw = one('flat');
  if (flatRaw !== undefined && !['true', 'false', '1', '0'].includes(flatRaw)) {
    throw new ManifestError(ManifestErrorCode.InvalidFlag, 'flat must be true or false');
  }
  const flat = flatRaw === 'true' || flatRaw === '1';

  const limitRaw = one('limit');
  let limit = DEFAULT_LIMIT;
  if (limitRaw !== undefined) {
    limit = /^\d{1,9}$/.test(limitRaw) ? Number(limitRaw) : NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new ManifestError(ManifestErrorCode.InvalidLimit, `limit must be a whole number from 1 to ${MAX_LIMIT}`, { limit: limitRaw });
    }
  }

  const cursor = one('cursor');
  const after = cursor === undefined || cursor === '' ? null : decodeCursor(cursor, prefix);
  return { prefix, flat, limit, after };
}

/** The cache field of one page: every input that changes the rendered bytes. */
export function pageField(query: ManifestQuery): string {
  return JSON.stringify([query.flat ? 'f' : 't', query.limit, query.prefix, query.after]);
}
