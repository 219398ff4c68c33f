import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuthError, AuthErrorCode, CaseAccessService } from '@case-storage/auth';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { parseUuid, Principal } from '@case-storage/domain';
import { appendAudit, TenantTransactions } from '@case-storage/persistence';
import { FINAL_STATUSES, refOf } from './workspace-runner.service';
import { WorkspaceError, WorkspaceErrorCode } from './workspace.errors';
import { WorkspaceQueue } from './workspace-queue';
import { WorkspaceRepository, WorkspaceRow } from './workspace.repository';
import { CreateWorkspaceBody } from './workspace.requests';
import { toWorkspaceView, WorkspaceView } from './workspace.views';

/** How long queueing may take before the request gives up (Redis down): the row is rolled back. */
const ENQUEUE_TIMEOUT_MS = 3_000;

/**
 * The workspace API's rules: case access first (editors open, sync and delete; viewers
 * read), a row per workspace, and the work itself queued on the workspace's node.
 */
@Injectable()
export class WorkspaceService {
  private readonly logger = new Logger(WorkspaceService.name);

  constructor(
    private readonly access: CaseAccessService,
    private readonly tx: TenantTransactions,
    private readonly repo: WorkspaceRepository,
    private readonly queue: WorkspaceQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Opens a workspace on this node. The row and its audit event commit only once the job
   * is queued, so a queue outage leaves nothing behind (503, try again).
   */
  async create(principal: Principal, caseIdParam: string, body: CreateWorkspaceBody): Promise<WorkspaceView> {
    const { caseRecord } = await this.access.assertCaseAccess(principal, caseIdParam, 'editor');
    const limits = this.config.workspaces;
    if (body.ttlSeconds !== undefined && body.ttlSeconds > limits.maxTtlSeconds) {
      throw new WorkspaceError(WorkspaceErrorCode.TtlTooLong, `ttlSeconds may be at most ${limits.maxTtlSeconds}.`, { max: limits.maxTtlSeconds });
    }
    const expiresAt = new Date(Date.now() + (body.ttlSeconds ?? limits.ttlSeconds) * 1000);
    const row = await this.tx.run(principal.tenantId, async (em) => {
      const ws = await this.repo.insert(em, { tenantId: principal.tenantId, caseId: caseRecord.id, nodeName: limits.nodeName, createdBy: principal.subject, expiresAt });
      await appendAudit(em, {
        tenantId: principal.tenantId,
        caseId: caseRecord.id,
        actor: principal.subject,
        action: 'workspace.created',
        details: { workspaceId: ws.id, node: limits.nodeName, expiresAt: expiresAt.toISOString() },
      });
      await this.enqueue(() => this.queue.run(limits.nodeName, refOf(ws)));
      return ws;
    });
    return toWorkspaceView(row);
  }

  async get(principal: Principal, idParam: string): Promise<WorkspaceView> {
    return toWorkspaceView(await this.visible(principal, idParam, 'viewer'));
  }

  /** Queues a sync now; a sync already waiting absorbs this request. */
  async requestSync(principal: Principal, idParam: string): Promise<WorkspaceView> {
    const ws = await this.visible(principal, idParam, 'editor');
    if (FINAL_STATUSES.has(ws.status) || ws.deleteRequestedAt) {
      throw new WorkspaceError(WorkspaceErrorCode.WorkspaceEnded, `The workspace is ${ws.deleteRequestedAt ? 'being removed' : ws.status}; open a new one.`, { status: ws.status });
    }
    if (!ws.baseline) {
      throw new WorkspaceError(WorkspaceErrorCode.WorkspaceNotReady, `The workspace is ${ws.status}: there is nothing to sync before it is materialized.`, { status: ws.status });
    }
    await this.enqueue(() => this.queue.sync(ws.nodeName as string, refOf(ws)));
    return toWorkspaceView(ws);
  }

  /** Stops the agent, keeps what it wrote (a last sync) and removes the workspace; repeatable. */
  async remove(principal: Principal, idParam: string): Promise<WorkspaceView> {
    const ws = await this.visible(principal, idParam, 'editor');
    if (FINAL_STATUSES.has(ws.status)) return toWorkspaceView(ws);
    const updated = await this.tx.run(principal.tenantId, async (em) => {
      await this.repo.update(em, ws.id, { deleteRequested: true });
      if (!ws.deleteRequestedAt) {
        await appendAudit(em, { tenantId: ws.tenantId, caseId: ws.caseId, actor: principal.subject, action: 'workspace.delete-requested', details: { workspaceId: ws.id } });
      }
      await this.enqueue(() => this.queue.remove(ws.nodeName as string, refOf(ws), 'deleted'));
      return (await this.repo.find(em, ws.id)) as WorkspaceRow;
    });
    return toWorkspaceView(updated);
  }

  /** A workspace of a case the caller may see; anything else is the same 404. */
  private async visible(principal: Principal, idParam: string, role: 'viewer' | 'editor'): Promise<WorkspaceRow> {
    const id = parseUuid(idParam, 'workspaceId');
    const notFound = () => new WorkspaceError(WorkspaceErrorCode.WorkspaceNotFound, 'No such workspace, or you cannot see its case.', { workspaceId: id });
    const ws = await this.tx.run(principal.tenantId, (em) => this.repo.find(em, id));
    if (!ws) throw notFound();
    try {
      await this.access.assertCaseAccess(principal, ws.caseId, role);
    } catch (err) {
      if (err instanceof AuthError && err.code === AuthErrorCode.CaseNotFound) throw notFound();
      throw err;
    }
    return ws;
  }

  private async enqueue(work: () => Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('queue timeout')), ENQUEUE_TIMEOUT_MS);
    });
    try {
      await Promise.race([work(), timeout]);
    } catch (err) {
      this.logger.error({ err }, 'could not queue workspace work');
      throw new WorkspaceError(WorkspaceErrorCode.QueueUnavailable, 'The job queue is unavailable; nothing was changed. Try again shortly.');
    } finally {
      clearTimeout(timer);
    }
  }
}
