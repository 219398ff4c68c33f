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

export class RequestError extends CaseStorageError {
  readonly httpStatus: number;

  constructor(
    readonly code: RequestErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
    this.httpStatus = requestErrorStatus[code];
  }
}
