import { CodedError } from '@case-storage/domain';

export enum ManifestErrorCode {
  InvalidCursor = 'INVALID_CURSOR',
  InvalidPrefix = 'INVALID_PREFIX',
  InvalidLimit = 'INVALID_LIMIT',
  InvalidFlag = 'INVALID_FLAG',
  FileNotFound = 'FILE_NOT_FOUND',
  VersionNotFound = 'VERSION_NOT_FOUND',
  InvalidVersion = 'INVALID_VERSION',
}

const STATUS: Record<ManifestErrorCode, number> = {
  [ManifestErrorCode.InvalidCursor]: 400,
  [ManifestErrorCode.InvalidPrefix]: 400,
  [ManifestErrorCode.InvalidLimit]: 400,
  [ManifestErrorCode.InvalidFlag]: 400,
  [ManifestErrorCode.FileNotFound]: 404,
  [ManifestErrorCode.VersionNotFound]: 404,
  [ManifestErrorCode.InvalidVersion]: 400,
};

export class ManifestError extends CodedError<ManifestErrorCode> {
  constructor(code: ManifestErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, STATUS, message, details);
  }
}
