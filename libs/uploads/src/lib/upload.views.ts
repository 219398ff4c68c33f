import { PresignedRequest } from '@case-storage/object-storage';
import { FileRecordRow } from './upload.repository';

export interface InitializedUpload {
  readonly fileId: string;
  readonly uploadId: string;
  readonly path: string;
  readonly method: 'PUT' | 'MULTIPART';
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly parts?: ReadonlyArray<PresignedRequest & { partNumber: number; size: number }>;
  readonly expiresAt: string;
}

export interface FileRecordView {
  readonly id: string;
  readonly caseId: string;
  readonly path: string;
  readonly kind: 'original' | 'derived';
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  readonly version: {
    readonly id: string;
    readonly number: number;
    readonly s3VersionId: string;
    readonly etag: string;
    readonly committedAt: string;
    readonly committedBy: string;
    /** Whether the whole-file SHA-256 has been confirmed against the stored bytes. */
    readonly verified: boolean;
  };
}

export function toFileRecordView(row: FileRecordRow): FileRecordView {
  const v = row.version;
  return {
    id: row.id,
    caseId: row.caseId,
    path: row.path,
    kind: row.kind,
    contentType: row.contentType,
    size: v.size,
    sha256: v.sha256Hex,
    version: {
      id: v.id,
      number: v.versionNo ?? 0,
      s3VersionId: v.s3VersionId ?? '',
      etag: v.etag ?? '',
      committedAt: (v.committedAt ?? new Date(0)).toISOString(),
      committedBy: v.createdBy,
      verified: v.verifiedAt !== null,
    },
  };
}
