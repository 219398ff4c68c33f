import { CodedError } from '@case-storage/domain';

export enum UploadErrorCode {
  EmptyBatch = 'EMPTY_BATCH',
  TooManyFiles = 'TOO_MANY_FILES',
  InvalidPath = 'INVALID_PATH',
  PathCollision = 'PATH_COLLISION',
  PathConflict = 'PATH_CONFLICT',
  InvalidSize = 'INVALID_SIZE',
  FileTooLarge = 'FILE_TOO_LARGE',
  InvalidSha256 = 'INVALID_SHA256',
  ContentTypeNotAllowed = 'CONTENT_TYPE_NOT_ALLOWED',
  InvalidParts = 'INVALID_PARTS',
  UploadNotFound = 'UPLOAD_NOT_FOUND',
  UploadNotPending = 'UPLOAD_NOT_PENDING',
  NotUploaded = 'NOT_UPLOADED',
  EtagMismatch = 'ETAG_MISMATCH',
  SizeMismatch = 'SIZE_MISMATCH',
  ChecksumMismatch = 'CHECKSUM_MISMATCH',
  VersionConflict = 'VERSION_CONFLICT',
  StorageUnavailable = 'STORAGE_UNAVAILABLE',
}

const STATUS: Record<UploadErrorCode, number> = {
  [UploadErrorCode.EmptyBatch]: 400,
  [UploadErrorCode.TooManyFiles]: 400,
  [UploadErrorCode.InvalidPath]: 400,
  [UploadErrorCode.PathCollision]: 400,
  [UploadErrorCode.PathConflict]: 409,
  [UploadErrorCode.InvalidSize]: 400,
  [UploadErrorCode.FileTooLarge]: 400,
  [UploadErrorCode.InvalidSha256]: 400,
  [UploadErrorCode.ContentTypeNotAllowed]: 400,
  [UploadErrorCode.InvalidParts]: 400,
  [UploadErrorCode.UploadNotFound]: 404,
  [UploadErrorCode.UploadNotPending]: 409,
  [UploadErrorCode.NotUploaded]: 409,
  [UploadErrorCode.EtagMismatch]: 422,
  [UploadErrorCode.SizeMismatch]: 422,
  [UploadErrorCode.ChecksumMismatch]: 422,
  [UploadErrorCode.VersionConflict]: 409,
  [UploadErrorCode.StorageUnavailable]: 503,
};

/** One problem with one entry of a batch; a batch error lists all of them. */
export interface EntryProblem {
  readonly index: number;
  readonly code: UploadErrorCode;
  readonly message: string;
  readonly path?: string;
  readonly fileId?: string;
}

export class UploadError extends CodedError<UploadErrorCode> {
  constructor(code: UploadErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, STATUS, message, details);
  }

  /**
   * The whole batch is refused when any entry is wrong (nothing is written), and every
   * problem is reported at once so a client can fix them all in one go. The top-level
   * code is the first problem's; `details.errors` has each entry's own.
   */
  static forEntries(problems: readonly EntryProblem[]): UploadError {
    const [first] = problems;
    const summary = problems.length === 1 ? first.message : `${problems.length} files have problems; the first: ${first.message}`;
    return new UploadError(first.code, summary, { errors: problems });
  }
}
