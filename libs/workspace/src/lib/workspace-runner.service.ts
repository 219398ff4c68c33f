import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { CaseStorageError } from '@case-storage/domain';
import { TenantTransactions, WorkspaceStatus } from '@case-storage/persistence';
import { WorkspaceRef } from '@case-storage/queue-contracts';
import { AgentExit, AgentHandle, AgentRuntime } from './agent-runtime';
import { KeyedMutex } from './keyed-mutex';
import { WorkspaceError, WorkspaceErrorCode } from './workspace.errors';
import { MaterializeService } from './materialize.service';
import { workspaceDir } from './workspace-paths';
import { AgentState, WorkspacePatch, WorkspaceProgress, WorkspaceRepository, WorkspaceRow } from './workspace.repository';
import { WorkspaceNode } from './workspace-node';
import { SyncOutcome, WorkspaceSyncService } from './workspace-sync.service';

export const AGENT_RUNTIME = Symbol('AGENT_RUNTIME');

/** Statuses a workspace never leaves. */
export const FINAL_STATUSES: ReadonlySet<WorkspaceStatus> = new Set(['expired', 'deleted']);
/** Statuses in which the run job has nothing left to do. */
const RUN_DONE: ReadonlySet<WorkspaceStatus> = new Set(['completed', 'failed', 'expired', 'deleted']);

export type ProgressSink = (progress: WorkspaceProgress) => void;

/**
 * The workspace state machine (DESIGN §2, §4): queued → materializing → ready → running →
 * syncing → completed | failed, plus removal (deleted | expired). Every step reads the
 * row, does its work and records the next state, so a run started again after the
 * process died (BullMQ hands a stalled job to the restarted manager) resumes where it
 * stopped: a half-made workspace is made again, a still-running agent is waited for, a
 * sync finishes its journal.
 */
@Injectable()
export class WorkspaceRunner {
  private readonly logger = new Logger(WorkspaceRunner.name);
  /** Agents started by this process, by workspace id. */
  private readonly agents = new Map<string, AgentHandle>();
  private readonly exclusive = new KeyedMutex();

  constructor(
    private readonly tx: TenantTransactions,
    private readonly repo: WorkspaceRepository,
    private readonly materializer: MaterializeService,
    private readonly syncer: WorkspaceSyncService,
    private readonly node: WorkspaceNode,
    @Inject(AGENT_RUNTIME) private readonly runtime: AgentRuntime,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  dirOf(ref: WorkspaceRef): string {
    return workspaceDir(this.node.root, { tenantId: ref.tenantId, caseId: ref.caseId, workspaceId: ref.workspaceId });
  }

  /** The run job: drives the workspace to completed (or failed), one recorded step at a time. */
  async run(ref: WorkspaceRef, progress: ProgressSink): Promise<WorkspaceStatus> {
    // One run per workspace in this process, even if BullMQ hands out a job it thinks stalled
    // (an event loop blocked past the lock): the second waits, then finds the work done.
    return this.exclusive.run(`run:${ref.workspaceId}`, () => this.runSteps(ref, progress));
  }

  private async runSteps(ref: WorkspaceRef, progress: ProgressSink): Promise<WorkspaceStatus> {
    for (;;) {
      const ws = await this.load(ref);
      // The API queues the job inside the transaction that creates the row: it may run first. BullMQ retries.
      if (!ws) throw new Error(`workspace ${ref.workspaceId} is not visible (yet)`);
      if (ws.deleteRequestedAt || RUN_DONE.has(ws.status)) return ws.status;
      try {
        switch (ws.status) {
          case 'queued':
          case 'materializing':
            await this.materialize(ws, progress);
            break;
          case 'ready':
            await this.startAgent(ws);
            break;
          case 'running':
            await this.awaitAgent(ws);
            break;
          case 'syncing':
            await this.exclusive.run(ws.id, () => this.finalSync(ref, progress));
            break;
          case 'completed':
          case 'failed':
          case 'expired':
          case 'deleted':
            return ws.status;
        }
      } catch (err) {
        await this.fail(ws, err);
        return 'failed';
      }
    }
  }

  /** The run job ran out of attempts: the workspace is failed, not left waiting forever. */
  async giveUp(ref: WorkspaceRef, err: unknown): Promise<void> {
    const ws = await this.load(ref);
    if (ws && !RUN_DONE.has(ws.status)) await this.fail(ws, err);
  }

  /** Sync on demand: while the agent runs, or again after the run ended. */
  async syncNow(ref: WorkspaceRef, progress: ProgressSink): Promise<SyncOutcome | null> {
    return this.exclusive.run(ref.workspaceId, async () => {
      const ws = await this.load(ref);
      if (!ws || FINAL_STATUSES.has(ws.status) || !ws.baseline) return null;
      const outcome = await this.syncer.sync(ws, this.dirOf(ref), progress);
      progress({ phase: ws.status === 'running' ? 'agent' : 'done', materialized: ws.progress.materialized });
      return outcome;
    });
  }

  /**
   * Stops the agent, keeps what it wrote (one last sync), removes the directory and its
   * log, and records the final status. Safe to repeat: each step checks what is left.
   */
  async remove(ref: WorkspaceRef, reason: 'deleted' | 'expired', progress: ProgressSink): Promise<void> {
    const ws = await this.load(ref);
    if (!ws || FINAL_STATUSES.has(ws.status)) return;
    await this.tx.run(ref.tenantId, (em) => this.repo.update(em, ref.workspaceId, { deleteRequested: true }));
    progress({ phase: 'removing' });
    const exit = await this.stopAgent(ws);
    if (exit) await this.patch(ref, { agent: { ...ws.agent, ...agentEnd(exit, 'stopped') } });
    // After the run's current step (a materialize finishing, a start the stop just ended):
    // nothing of the run can lay the directory out again once it is removed below.
    await this.exclusive.run(`run:${ref.workspaceId}`, () => this.exclusive.run(ref.workspaceId, async () => {
      const current = await this.load(ref);
      if (!current || FINAL_STATUSES.has(current.status)) return;
      if (current.baseline && current.status !== 'queued' && current.status !== 'materializing') {
        const last = await this.syncer.sync(current, this.dirOf(ref), progress).catch((err: unknown) => {
          this.logger.error({ workspaceId: ref.workspaceId, err }, 'last sync before removal failed; workspace kept');
          throw err;
        });
        const unsynced = [...last.retry.map((r) => r.path), ...last.refused.filter((r) => r.reason === 'too-many').map((r) => r.path)];
        if (unsynced.length > 0) {
          // Nothing the agent wrote may be lost: keep the directory; the cleanup job tries again.
          const message = `${unsynced.length} file(s) the agent wrote could not be synced yet (${unsynced.slice(0, 3).join(', ')}); the workspace is kept until they are.`;
          await this.patch(ref, { error: { code: WorkspaceErrorCode.WorkspaceNotEmptied, message, details: { retry: last.retry } } });
          throw new WorkspaceError(WorkspaceErrorCode.WorkspaceNotEmptied, message);
        }
      }
      const dir = this.dirOf(ref);
      await rm(`${dir}.staging`, { recursive: true, force: true });
      await rm(`${dir}.staging.unverified`, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
      await rm(this.node.logPath(ref.workspaceId), { force: true });
      await this.patch(ref, { status: reason, ended: true, error: null, progress: { phase: 'done', materialized: current.progress.materialized } }, true);
    }));
    this.logger.log({ workspaceId: ref.workspaceId, reason }, 'workspace removed');
  }

  private async materialize(ws: WorkspaceRow, progress: ProgressSink): Promise<void> {
    const dir = this.dirOf(refOf(ws));
    await this.patch(refOf(ws), { status: 'materializing', path: dir, error: null });
    const started = Date.now();
    const outcome = await this.materializer.materialize(ws, dir, progress);
    const done: WorkspaceProgress = {
      phase: 'agent',
      materialized: { files: outcome.files, bytes: outcome.bytes, bytesDownloaded: outcome.bytesDownloaded, durationMs: Date.now() - started },
    };
    progress(done);
    await this.patch(refOf(ws), { status: 'ready', baseline: { entries: outcome.baseline }, progress: done });
    this.logger.log({ workspaceId: ws.id, files: outcome.files, bytes: outcome.bytes, downloaded: outcome.bytesDownloaded }, 'workspace materialized');
  }

  private async startAgent(ws: WorkspaceRow): Promise<void> {
    const timeoutMs = this.config.workspaces.agentTimeoutSeconds * 1000;
    const workspaceDir = this.dirOf(refOf(ws));
    // A previous process may have started the agent and died before recording it: find it
    // (by its working directory) and adopt it rather than run a second one.
    const earlier = ws.agent.state === 'starting' ? await this.runtime.attach({ ref: '', workspaceDir, deadlineAt: deadlineOf(ws, timeoutMs) }) : null;
    const startedAt = earlier && ws.agent.startedAt ? Date.parse(ws.agent.startedAt) : Date.now();
    if (!earlier) await this.patch(refOf(ws), { agent: { state: 'starting', runtime: this.runtime.kind, startedAt: new Date(startedAt).toISOString() } });
    const handle =
      earlier ??
      (await this.runtime.start({
        workspaceId: ws.id,
        workspaceDir,
        command: this.agentCommand(),
        env: { CASE_STORAGE_WORKSPACE_ID: ws.id, CASE_STORAGE_CASE_ID: ws.caseId },
        timeoutMs,
        logPath: this.node.logPath(ws.id),
      }));
    this.agents.set(ws.id, handle);
    const agent: AgentState = {
      state: 'running',
      runtime: this.runtime.kind,
      ref: handle.ref,
      startedAt: new Date(startedAt).toISOString(),
      deadlineAt: new Date(startedAt + timeoutMs).toISOString(),
    };
    await this.patch(refOf(ws), { status: 'running', agentRef: handle.ref, agent });
    this.logger.log({ workspaceId: ws.id, ref: handle.ref, adopted: earlier !== null }, earlier ? 'agent adopted after a restart' : 'agent started');
  }

  private async awaitAgent(ws: WorkspaceRow): Promise<void> {
    // Started by this process, or (after a restart) by an earlier one and still running.
    const own = this.agents.get(ws.id);
    const handle = own ?? (await this.attach(ws));
    if (handle && !own) this.logger.warn({ workspaceId: ws.id, ref: handle.ref }, 'waiting for an agent started before this manager restarted');
    let agent: AgentState;
    if (handle) {
      const exit = await handle.wait();
      this.agents.delete(ws.id);
      // An attached agent is not our child: it ended by itself unless we ended it, code unknown.
      const cleanEnd = own ? exit.code === 0 : exit.error === undefined;
      const state = exit.stopped ? 'stopped' : exit.timedOut ? 'timed-out' : cleanEnd ? 'exited' : 'failed';
      agent = { ...ws.agent, ...agentEnd(exit, state) };
      if (state !== 'exited') this.logger.warn({ workspaceId: ws.id, agent }, 'the agent did not finish cleanly; what it wrote is synced anyway');
    } else {
      // Gone while no manager watched it: how it ended is unknown; what it wrote is synced.
      agent = { ...ws.agent, state: 'lost', endedAt: new Date().toISOString(), exitCode: null, signal: null };
    }
    await this.patch(refOf(ws), { status: 'syncing', agent, progress: { phase: 'syncing', materialized: ws.progress.materialized } });
  }

  private async finalSync(ref: WorkspaceRef, progress: ProgressSink): Promise<void> {
    const ws = await this.load(ref);
    if (!ws || ws.status !== 'syncing' || ws.deleteRequestedAt) return;
    await this.syncer.sync(ws, this.dirOf(ref), progress);
    const done: WorkspaceProgress = { phase: 'done', materialized: ws.progress.materialized };
    progress(done);
    await this.patch(ref, { status: 'completed', progress: done, ended: true });
  }

  /** Ends an agent of this workspace, whether this process started it or an earlier one did. */
  private async stopAgent(ws: WorkspaceRow): Promise<AgentExit | null> {
    const handle = this.agents.get(ws.id) ?? (await this.attach(ws));
    if (!handle) return null;
    const exit = await handle.stop();
    this.agents.delete(ws.id);
    return exit;
  }

  private attach(ws: WorkspaceRow): Promise<AgentHandle | null> {
    if (!ws.agentRef) return Promise.resolve(null);
    const deadlineAt = new Date(ws.agent.deadlineAt ? Date.parse(ws.agent.deadlineAt) : Date.now());
    return this.runtime.attach({ ref: ws.agentRef, workspaceDir: this.dirOf(refOf(ws)), deadlineAt });
  }

  private agentCommand(): string[] {
    return [...(this.config.workspaces.agentCommand ?? [process.execPath, bundledAgent()])];
  }

  private async fail(ws: WorkspaceRow, err: unknown): Promise<void> {
    const failure =
      err instanceof CaseStorageError
        ? { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }
        : { code: WorkspaceErrorCode.WorkspaceFailed, message: 'The workspace failed unexpectedly; see the workspace manager log for this workspace id.' };
    this.logger.error({ workspaceId: ws.id, status: ws.status, err }, 'workspace failed');
    if (ws.status === 'materializing' || ws.status === 'queued') {
      // Nothing of the agent's exists yet: leave no half-made tree behind.
      const dir = this.dirOf(refOf(ws));
      await rm(`${dir}.staging`, { recursive: true, force: true }).catch(() => undefined);
      await rm(`${dir}.staging.unverified`, { recursive: true, force: true }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    await this.patch(refOf(ws), { status: 'failed', error: failure, ended: true });
  }

  private load(ref: WorkspaceRef): Promise<WorkspaceRow | null> {
    return this.tx.run(ref.tenantId, (em) => this.repo.find(em, ref.workspaceId));
  }

  /** Records a step; a removed workspace is never brought back by a late step of its run. */
  private async patch(ref: WorkspaceRef, patch: WorkspacePatch, final = false): Promise<void> {
    await this.tx.run(ref.tenantId, async (em) => {
      const row = await this.repo.find(em, ref.workspaceId, { lock: true });
      if (!row || FINAL_STATUSES.has(row.status)) return;
      if (!final && patch.status && row.deleteRequestedAt) {
        const rest: WorkspacePatch = { ...patch };
        delete rest.status;
        await this.repo.update(em, ref.workspaceId, rest);
        return;
      }
      await this.repo.update(em, ref.workspaceId, patch);
    });
  }
}

/**
 * The Markdown agent shipped with the workspace manager: next to its bundle in a checkout
 * (dist/apps/markdown-agent/), inside it in the container image (/app/markdown-agent/).
 */
function bundledAgent(): string {
  const candidates = [join(__dirname, 'markdown-agent', 'main.js'), join(__dirname, '..', 'markdown-agent', 'main.js')];
  return candidates.find((c) => existsSync(c)) ?? candidates[candidates.length - 1];
}

function deadlineOf(ws: WorkspaceRow, timeoutMs: number): Date {
  return new Date((ws.agent.startedAt ? Date.parse(ws.agent.startedAt) : Date.now()) + timeoutMs);
}

export function refOf(ws: Pick<WorkspaceRow, 'tenantId' | 'caseId' | 'id'>): WorkspaceRef {
  return { tenantId: ws.tenantId, caseId: ws.caseId, workspaceId: ws.id };
}

function agentEnd(exit: AgentExit, state: NonNullable<AgentState['state']>): AgentState {
  return { state, endedAt: new Date().toISOString(), exitCode: exit.code, signal: exit.signal, ...(exit.error ? { error: exit.error } : {}) };
}

