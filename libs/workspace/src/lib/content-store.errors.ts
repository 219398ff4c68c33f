import { CodedError } from '@case-storage/domain';

export enum ContentStoreErrorCode {
  /** A digest that is not 64 lower-case hex characters; never turned into a path. */
  InvalidDigest = 'CONTENT_INVALID_DIGEST',
  InvalidSize = 'CONTENT_INVALID_SIZE',
  /** The bytes fetched (or already stored) do not match the expected SHA-256 and size. */
  ContentMismatch = 'CONTENT_MISMATCH',
  NotInitialized = 'CONTENT_STORE_NOT_INITIALIZED',
  NotPinned = 'CONTENT_NOT_PINNED',
  InvalidConfig = 'CONTENT_STORE_INVALID_CONFIG',
}

const STATUS: Record<ContentStoreErrorCode, number> = {
  // All but a mismatch are our own bugs or bad data from our own database: a 500.
  [ContentStoreErrorCode.InvalidDigest]: 500,
  [ContentStoreErrorCode.InvalidSize]: 500,
  // Object storage handed us bytes other than the ones the manifest names.
  [ContentStoreErrorCode.ContentMismatch]: 502,
  [ContentStoreErrorCode.NotInitialized]: 500,
  [ContentStoreErrorCode.NotPinned]: 500,
  [ContentStoreErrorCode.InvalidConfig]: 500,
};

export class ContentStoreError extends CodedError<ContentStoreErrorCode> {
  constructor(code: ContentStoreErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, STATUS, message, details);
  }
}

export interface ContentIdentity {
  /** `null` when the stream was cut off early for running past the expected size. */
  readonly sha256: string | null;
  readonly size: number;
}

export class ContentMismatchError extends ContentStoreError {
  constructor(
    readonly expected: ContentIdentity,
    readonly actual: ContentIdentity,
  ) {
    super(
      ContentStoreErrorCode.ContentMismatch,
      `content mismatch: expected sha256 ${expected.sha256} (${expected.size} bytes), ` +
        `got ${actual.sha256 ?? 'a stream cut off'} (${actual.size} bytes)`,
      { expected, actual },
    );
  }
}
