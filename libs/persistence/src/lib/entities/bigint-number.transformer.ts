import { ValueTransformer } from 'typeorm';

/**
 * Maps a PostgreSQL `bigint` to a JS `number`.
 *
 * `pg` returns int8 as a string because it can exceed 2^53. We use this transformer only
 * for byte sizes, where a number is what every caller (S3 APIs, JSON responses, quotas)
 * wants and 2^53 - 1 bytes (8 PiB) is far beyond any file we accept. A value outside the
 * safe-integer range throws instead of silently losing precision. Opaque bigint ids
 * (audit_events.id) stay strings.
 */
export const bigintToNumber: ValueTransformer = {
  to(value: unknown): unknown {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`bigint column value ${value} is not a safe integer`);
    }
    return value;
  },
  from(value: unknown): number | null {
    if (value === null || value === undefined) return null;
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isSafeInteger(n)) {
      throw new RangeError(`bigint column value ${String(value)} does not fit a safe JS integer`);
    }
    return n;
  },
};
