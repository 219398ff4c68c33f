import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { assertJobHandlers, WORKSPACE_NODE_QUEUE, WorkspaceJob, WorkspaceJobPayloads } from '@case-storage/queue-contracts';
import { TenantTransactions } from '@case-storage/persistence';
import { WorkspaceMaintenanceService } from './workspace-maintenance.service';
import { ProgressSink, WorkspaceRunner } from './workspace-runner.service';
import { WorkspaceProgress, WorkspaceRepository } from './workspace.repository';

/** How often progress is written to the job and the workspace row while work goes on. */
const PROGRESS_EVERY_MS = 500;

/**
 * Thin: routes each job of this node's queue to its one handler. The queue name carries
 * the node name, so the `@Processor` decorator is applied in WorkspaceModule.forRoot
 * (`@Injectable` here keeps the constructor's parameter types for injection).
 */
@Injectable()
export class WorkspaceNodeProcessor extends WorkerHost implements OnModuleInit {
  static readonly handledJobs: readonly WorkspaceJob[] = [WorkspaceJob.Run, WorkspaceJob.Sync, WorkspaceJob.Remove, WorkspaceJob.Cleanup];

  private readonly logger = new Logger(WorkspaceNodeProcessor.name);

  constructor(
    private readonly runner: WorkspaceRunner,
    private readonly maintenance: WorkspaceMaintenanceService,
    private readonly tx: TenantTransactions,
    private readonly repo: WorkspaceRepository,
  ) {
    super();
  }

  onModuleInit(): void {
    assertJobHandlers(WORKSPACE_NODE_QUEUE, WorkspaceNodeProcessor.handledJobs);
  }

  async process(job: Job): Promise<unknown> {
    const name = job.name as WorkspaceJob;
    switch (name) {
      case WorkspaceJob.Run: {
        const ref = job.data as WorkspaceJobPayloads[WorkspaceJob.Run];
        try {
          return await this.withProgress(job, ref, (sink) => this.runner.run(ref, sink));
        } catch (err) {
          // Out of attempts (e.g. PostgreSQL unreachable throughout): say so on the row instead of leaving it queued.
          if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await this.runner.giveUp(ref, err).catch(() => undefined);
          throw err;
        }
      }
      case WorkspaceJob.Sync: {
        const ref = job.data as WorkspaceJobPayloads[WorkspaceJob.Sync];
        return this.withProgress(job, ref, (sink) => this.runner.syncNow(ref, sink));
      }
      case WorkspaceJob.Remove: {
        const data = job.data as WorkspaceJobPayloads[WorkspaceJob.Remove];
        return this.withProgress(job, data, (sink) => this.runner.remove(data, data.reason, sink));
      }
      case WorkspaceJob.Cleanup:
        return this.maintenance.expire();
      default: {
        const unknown: never = name;
        this.logger.error({ job: unknown }, 'job with no handler');
        throw new Error(`no handler for job ${String(unknown)}`);
      }
    }
  }

  /** Progress goes to the job (BullMQ) and to the workspace row (the API), at most every 500 ms and at the end. */
  private async withProgress<T>(job: Job, ref: { tenantId: string; workspaceId: string }, work: (sink: ProgressSink) => Promise<T>): Promise<T> {
    let latest: WorkspaceProgress | null = null;
    let merged: WorkspaceProgress = {};
    let writing: Promise<void> = Promise.resolve();
    const flush = () => {
      if (!latest) return;
      const snapshot = latest;
      latest = null;
      writing = writing
        .then(async () => {
          await job.updateProgress({ ...snapshot });
          await this.tx.run(ref.tenantId, (em) => this.repo.mergeProgress(em, ref.workspaceId, snapshot));
        })
        .catch((err: unknown) => this.logger.warn({ workspaceId: ref.workspaceId, err }, 'progress not recorded'));
    };
    const timer = setInterval(flush, PROGRESS_EVERY_MS);
    try {
      return await work((p) => {
        // A new phase starts its figures afresh; what the materialize did stays visible.
        merged = p.phase && p.phase !== merged.phase ? { materialized: merged.materialized, ...p } : { ...merged, ...p };
        latest = merged;
      });
    } finally {
      clearInterval(timer);
      flush();
      await writing;
    }
  }
}
