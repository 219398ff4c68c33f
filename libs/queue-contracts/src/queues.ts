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

/**
 * Workspace work is bound to the node whose SSD holds the workspace, so each node's
 * manager consumes its own queue: `workspace-node.<node name>` (node names are DNS-1123,
 * so they contain no ':' that BullMQ would refuse).
 */
export const WORKSPACE_NODE_QUEUE = 'workspace-node';

export function workspaceNodeQueue(nodeName: string): string {
  return `${WORKSPACE_NODE_QUEUE}.${nodeName}`;
}

export enum WorkspaceJob {
  /** Materialize, run the agent, sync: one job per workspace, id = the workspace id. */
  Run = 'run-workspace',
  /** Sync now (on demand), while the agent runs or after it ended. */
  Sync = 'sync-workspace',
  /** Stop the agent, keep what it wrote (a last sync), remove the directory. */
  Remove = 'remove-workspace',
  /** Repeatable per node: expire workspaces past their TTL. */
  Cleanup = 'cleanup-workspaces',
}

export interface WorkspaceRef {
  readonly tenantId: string;
  readonly caseId: string;
  readonly workspaceId: string;
}

export interface WorkspaceJobPayloads {
  [WorkspaceJob.Run]: WorkspaceRef;
  [WorkspaceJob.Sync]: WorkspaceRef;
  [WorkspaceJob.Remove]: WorkspaceRef & { readonly reason: 'deleted' | 'expired' };
  [WorkspaceJob.Cleanup]: Record<string, never>;
}

/** Duplicates collapse: one run per workspace ever, one pending sync and one removal at a time. */
export function workspaceJobId(job: WorkspaceJob.Run | WorkspaceJob.Sync | WorkspaceJob.Remove, workspaceId: string): string {
  return job === WorkspaceJob.Run ? workspaceId : `${job === WorkspaceJob.Sync ? 'sync' : 'remove'}-${workspaceId}`;
}

/** Every job name of every queue: what the processors of an app must handle between them. */
export const JOBS_BY_QUEUE: Readonly<Record<string, readonly string[]>> = {
  [UPLOAD_MAINTENANCE_QUEUE]: Object.values(UploadJob),
  [WORKSPACE_NODE_QUEUE]: Object.values(WorkspaceJob),
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
