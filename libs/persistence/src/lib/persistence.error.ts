import { CodedError } from '@case-storage/domain';

export enum PersistenceErrorCode {
  /** A row the operation depends on (tenant, case) does not exist for this tenant. */
  NotFound = 'PERSISTENCE_NOT_FOUND',
  /** The id is already taken (possibly by another tenant, which we do not reveal). */
  Conflict = 'PERSISTENCE_CONFLICT',
  /** The database rejected a value (CHECK constraint): a bug or unvalidated input. */
  ConstraintViolation = 'PERSISTENCE_CONSTRAINT_VIOLATION',
  /** The database cannot be reached or did not answer in time. */
  Unavailable = 'PERSISTENCE_UNAVAILABLE',
}

const httpStatus: Record<PersistenceErrorCode, number> = {
  [PersistenceErrorCode.NotFound]: 404,
  [PersistenceErrorCode.Conflict]: 409,
  [PersistenceErrorCode.ConstraintViolation]: 400,
  [PersistenceErrorCode.Unavailable]: 503,
};

export class PersistenceError extends CodedError<PersistenceErrorCode> {
  constructor(code: PersistenceErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, httpStatus, message, details);
  }
}

/** The SQLSTATE and constraint of a PostgreSQL error, however TypeORM wrapped it. */
export interface PgErrorInfo {
  readonly code: string;
  readonly constraint?: string;
  readonly table?: string;
}

/**
 * Reads the SQLSTATE of an error thrown by `pg` (directly or as TypeORM's
 * QueryFailedError, which copies the driver error's fields); undefined for anything else.
 * Callers branch on `code` (e.g. '23505' unique_violation) and `constraint`, never on
 * message text.
 */
export function pgErrorOf(err: unknown): PgErrorInfo | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const source = 'driverError' in err && typeof err.driverError === 'object' && err.driverError !== null ? err.driverError : err;
  const code = 'code' in source && typeof source.code === 'string' && /^[0-9A-Z]{5}$/.test(source.code) ? source.code : undefined;
  if (!code) return undefined;
  const constraint = 'constraint' in source && typeof source.constraint === 'string' ? source.constraint : undefined;
  const table = 'table' in source && typeof source.table === 'string' ? source.table : undefined;
  return { code, constraint, table };
}

/** SQLSTATEs the repositories translate. */
export const PgErrorCode = {
  UniqueViolation: '23505',
  ForeignKeyViolation: '23503',
  CheckViolation: '23514',
  NotNullViolation: '23502',
  /** Raised for both missing privileges and row-level security WITH CHECK failures. */
  InsufficientPrivilege: '42501',
} as const;
