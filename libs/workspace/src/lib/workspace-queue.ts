import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { WorkspaceJob, workspaceJobId, WorkspaceJobPayloads, workspaceNodeQueue, WorkspaceRef } from '@case-storage/queue-contracts';
import { bullConnectionOptions, QUEUE_PREFIX } from '@case-storage/redis';

/** This node's own queue (registered through @nestjs/bullmq under its node-specific name). */
export const OWN_NODE_QUEUE = Symbol('OWN_NODE_QUEUE');

const KEEP = { removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } };

/**
 * Puts workspace jobs on the queue of the node that holds the workspace: this node's own
 * queue, or (for a request that reached another replica) the other node's, opened once.
 * Job ids are deterministic, so a repeated request collapses into the job already there.
 */
@Injectable()
export class WorkspaceQueue implements OnApplicationShutdown {
  private readonly others = new Map<string, Queue>();

  constructor(
    @Inject(OWN_NODE_QUEUE) private readonly own: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(node: string, ref: WorkspaceRef): Promise<void> {
    await this.queueOf(node).add(WorkspaceJob.Run, ref satisfies WorkspaceJobPayloads[WorkspaceJob.Run], {
      jobId: workspaceJobId(WorkspaceJob.Run, ref.workspaceId),
      // Queued inside the transaction that creates the row, so the first attempt may not see it yet.
      attempts: 5,
      backoff: { type: 'exponential', delay: 500 },
      ...KEEP,
    });
  }

  /**
   * Requests collapse into a sync that is still waiting. A sync already running scanned
   * before this request, so a second one is queued behind it (under a second id, which
   * later requests collapse into in turn). Removed when done, so later requests queue anew.
   */
  async sync(node: string, ref: WorkspaceRef): Promise<void> {
    const queue = this.queueOf(node);
    const id = workspaceJobId(WorkspaceJob.Sync, ref.workspaceId);
    const running = await queue.getJob(id);
    const jobId = running && (await running.isActive()) ? `${id}-next` : id;
    await queue.add(WorkspaceJob.Sync, ref, { jobId, removeOnComplete: true, removeOnFail: true });
  }

  async remove(node: string, ref: WorkspaceRef, reason: 'deleted' | 'expired'): Promise<void> {
    const data: WorkspaceJobPayloads[WorkspaceJob.Remove] = { ...ref, reason };
    // Removed when done either way: a removal that failed (its last sync could not finish) is queued again by the cleanup job.
    await this.queueOf(node).add(WorkspaceJob.Remove, data, {
      jobId: workspaceJobId(WorkspaceJob.Remove, ref.workspaceId),
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.others.values()].map((q) => q.close()));
  }

  private queueOf(node: string): Queue {
    if (node === this.config.workspaces.nodeName) return this.own;
    let queue = this.others.get(node);
    if (!queue) {
      queue = new Queue(workspaceNodeQueue(node), { connection: bullConnectionOptions(this.config.redis.url), prefix: QUEUE_PREFIX });
      this.others.set(node, queue);
    }
    return queue;
  }
}
