import { WorkspaceStatus } from '@case-storage/persistence';
import { AgentState, WorkspaceFailure, WorkspaceProgress, WorkspaceRow } from './workspace.repository';
import type { SyncOutcome } from './workspace-sync.service';

export interface WorkspaceView {
  readonly id: string;
  readonly caseId: string;
  readonly status: WorkspaceStatus;
  readonly node: string | null;
  readonly progress: WorkspaceProgress;
  readonly agent: AgentState;
  /** The last sync's result (created, updated, conflicts, deleted, refused, retry). */
  readonly sync: (SyncOutcome & { count: number; at: string | null }) | null;
  readonly error: WorkspaceFailure | null;
  readonly deleteRequested: boolean;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string | null;
  readonly endedAt: string | null;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function toWorkspaceView(w: WorkspaceRow): WorkspaceView {
  return {
    id: w.id,
    caseId: w.caseId,
    status: w.status,
    node: w.nodeName,
    progress: w.progress,
    agent: w.agent,
    sync: w.syncResult ? { ...withDefaults(w.syncResult as unknown as SyncOutcome), count: w.syncCount, at: iso(w.lastSyncedAt) } : null,
    error: w.error ? (JSON.parse(w.error) as WorkspaceFailure) : null,
    deleteRequested: w.deleteRequestedAt !== null,
    createdBy: w.createdBy,
    createdAt: iso(w.createdAt) as string,
    updatedAt: iso(w.updatedAt) as string,
    expiresAt: iso(w.expiresAt),
    endedAt: iso(w.endedAt),
  };
}

/** A result recorded before a field existed answers with that field empty. */
function withDefaults(recorded: SyncOutcome): SyncOutcome {
  return { ...recorded, relinked: recorded.relinked ?? [] };
}
