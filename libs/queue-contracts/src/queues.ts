/**
 * Every queue, job name and payload, in one place: producers and processors import these
 * types, and each app checks at start-up that each job it consumes has exactly one handler.
 */
export const UPLOAD_MAINTENANCE_QUEUE = 'upload-maintenance';

export enum UploadJob {
  /** Repeatable: expires pending uploads past their deadline, aborts their multipart uploads. */
  SweepExpired = 'sweep-expired-uploads',
  /** Reads a committed multipart version once and confirms its whole-file SHA-256. */
  VerifyChecksum = 'verify-upload-checksum',
}

export interface SweepExpiredUploadsPayload {
  /** Rows handled per run; the next run picks up the rest. */
  readonly batchSize: number;
}

export interface VerifyUploadChecksumPayload {
  readonly tenantId: string;
  readonly caseId: string;
  readonly fileVersionId: string;
}

export interface UploadJobPayloads {
  [UploadJob.SweepExpired]: SweepExpiredUploadsPayload;
  [UploadJob.VerifyChecksum]: VerifyUploadChecksumPayload;
}

/** Deterministic job ids collapse duplicates: one verification per version, ever. */
export function verifyChecksumJobId(fileVersionId: string): string {
  return `verify-${fileVersionId}`; // BullMQ refuses ':' in custom ids
}
