import { CodedError } from '@case-storage/domain';

export enum WorkspaceErrorCode {
  WorkspaceNotFound = 'WORKSPACE_NOT_FOUND',
  WorkspaceEnded = 'WORKSPACE_ENDED',
  WorkspaceNotReady = 'WORKSPACE_NOT_READY',
  TtlTooLong = 'TTL_TOO_LONG',
  CaseTooLarge = 'CASE_TOO_LARGE',
  ContentMismatch = 'CONTENT_MISMATCH',
  QueueUnavailable = 'QUEUE_UNAVAILABLE',
  /** Recorded on a workspace that failed for a reason we did not foresee (details in the log). */
  WorkspaceFailed = 'WORKSPACE_FAILED',
  /** Recorded while a removal waits for files the agent wrote to be synced. */
  WorkspaceNotEmptied = 'WORKSPACE_NOT_EMPTIED',
}

const STATUS: Record<WorkspaceErrorCode, number> = {
  [WorkspaceErrorCode.WorkspaceNotFound]: 404,
  [WorkspaceErrorCode.WorkspaceEnded]: 409,
  [WorkspaceErrorCode.WorkspaceNotReady]: 409,
  [WorkspaceErrorCode.TtlTooLong]: 400,
  [WorkspaceErrorCode.CaseTooLarge]: 422,
  [WorkspaceErrorCode.ContentMismatch]: 502,
  [WorkspaceErrorCode.QueueUnavailable]: 503,
  [WorkspaceErrorCode.WorkspaceFailed]: 500,
  [WorkspaceErrorCode.WorkspaceNotEmptied]: 409,
};

/** Errors of the workspace API and of workspace jobs (a job records `code` and `message` on the row). */
export class WorkspaceError extends CodedError<WorkspaceErrorCode> {
  constructor(code: WorkspaceErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, STATUS, message, details);
  }
}
