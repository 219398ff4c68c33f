/**
 * Base of every error we raise on purpose. Each module subclasses it with its own
 * code enum; the HTTP layer maps `httpStatus` and `code` into one JSON shape
 * `{code, message, details?, requestId}` so clients can branch on a stable code.
 */
export abstract class CaseStorageError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;

  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The usual module error: a code enum and one HTTP status per code. A module declares
 * `class XError extends CodedError<XErrorCode>` with its status table, and nothing else.
 */
export abstract class CodedError<C extends string> extends CaseStorageError {
  readonly httpStatus: number;

  protected constructor(
    readonly code: C,
    statuses: Readonly<Record<C, number>>,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
    this.httpStatus = statuses[code];
  }
}

/** Errors about a request's shape that no module owns (bad ids, bad query parameters). */
export enum RequestErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  InvalidId = 'INVALID_ID',
  NotFound = 'NOT_FOUND',
}

const requestErrorStatus: Record<RequestErrorCode, number> = {
  [RequestErrorCode.ValidationFailed]: 400,
  [RequestErrorCode.InvalidId]: 400,
  [RequestErrorCode.NotFound]: 404,
};

export class RequestError extends CodedError<RequestErrorCode> {
  constructor(code: RequestErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, requestErrorStatus, message, details);
  }
}
