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

/** Every job name of every queue: what the processors of an app must handle between them. */
export const JOBS_BY_QUEUE: Readonly<Record<string, readonly string[]>> = {
  [UPLOAD_MAINTENANCE_QUEUE]: Object.values(UploadJob),
};

/**
 * Fails fast at start-up unless the handlers an app registers for a queue cover each of
 * its jobs exactly once: a job nobody handles would sit in Redis forever, and one handled
 * twice would run twice.
 */
export function assertJobHandlers(queue: string, handled: readonly string[]): void {
  const expected = JOBS_BY_QUEUE[queue];
  if (!expected) throw new Error(`queue ${queue} is not declared in @case-storage/queue-contracts`);
  const missing = expected.filter((job) => !handled.includes(job));
  const duplicated = handled.filter((job, i) => handled.indexOf(job) !== i);
  const unknown = handled.filter((job) => !expected.includes(job));
  if (missing.length || duplicated.length || unknown.length) {
    throw new Error(
      `queue ${queue}: ${[
        missing.length ? `no handler for ${missing.join(', ')}` : '',
        duplicated.length ? `more than one handler for ${duplicated.join(', ')}` : '',
        unknown.length ? `handlers for undeclared jobs ${unknown.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  }
}
