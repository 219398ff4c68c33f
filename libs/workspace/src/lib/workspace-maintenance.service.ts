import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { isUuid } from '@case-storage/domain';
import { WorkspaceJob } from '@case-storage/queue-contracts';
import { OWN_NODE_QUEUE, WorkspaceQueue } from './workspace-queue';
import { WorkspaceRepository } from './workspace.repository';
import { WorkspaceNode } from './workspace-node';

/**
 * Housekeeping of this node's workspaces: at start-up, directories with no workspace
 * behind them are removed and unfinished workspaces get their job back (a job id per
 * workspace, so one that BullMQ still holds is not duplicated); every
 * WORKSPACE_CLEANUP_INTERVAL_SECONDS, workspaces past their TTL are removed (after a last
 * sync, so nothing the agent wrote is lost).
 */
@Injectable()
export class WorkspaceMaintenanceService implements OnApplicationBootstrap {
  private readonly logger = new Logger(WorkspaceMaintenanceService.name);

  constructor(
    private readonly repo: WorkspaceRepository,
    private readonly queue: WorkspaceQueue,
    private readonly node: WorkspaceNode,
    @Inject(OWN_NODE_QUEUE) private readonly own: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** In the background: a Redis outage at boot delays housekeeping instead of keeping the API down. */
  onApplicationBootstrap(): void {
    this.recover().catch((err: unknown) => this.logger.error({ err }, 'start-up recovery of workspaces failed'));
    this.own
      .upsertJobScheduler(
        `cleanup-workspaces-${this.node.name}`,
        { every: this.config.workspaces.cleanupIntervalSeconds * 1000 },
        { name: WorkspaceJob.Cleanup, data: {}, opts: { removeOnComplete: 100, removeOnFail: 100 } },
      )
      .catch((err: unknown) => this.logger.error({ err }, 'could not schedule workspace cleanup'));
  }

  async recover(): Promise<{ orphansRemoved: number; requeued: number }> {
    const listedAt = Date.now();
    const known = await this.repo.nodeWorkspaces(this.node.name);
    const live = new Set(known.map((w) => w.workspaceId));
    const orphansRemoved = await this.removeOrphans(live, listedAt);
    let requeued = 0;
    for (const w of known) {
      const ref = { tenantId: w.tenantId, caseId: w.caseId, workspaceId: w.workspaceId };
      if (w.deleteRequested) await this.queue.remove(this.node.name, ref, 'deleted');
      else if (w.expired) await this.queue.remove(this.node.name, ref, 'expired');
      else if (w.status !== 'completed' && w.status !== 'failed') await this.queue.run(this.node.name, ref);
      else continue;
      requeued += 1;
    }
    this.logger.log({ node: this.node.name, workspaces: known.length, orphansRemoved, requeued }, 'workspaces recovered after start-up');
    return { orphansRemoved, requeued };
  }

  /**
   * The repeatable job: queue the removal of every expired workspace on this node, and
   * again of every one whose removal has not finished (a removal whose last sync failed
   * keeps the directory, so nothing the agent wrote is lost, and is tried again here).
   */
  async expire(): Promise<{ expired: number; removing: number }> {
    const ending = (await this.repo.nodeWorkspaces(this.node.name)).filter((w) => w.expired || w.deleteRequested);
    for (const w of ending) {
      await this.queue.remove(this.node.name, { tenantId: w.tenantId, caseId: w.caseId, workspaceId: w.workspaceId }, w.deleteRequested ? 'deleted' : 'expired');
    }
    return { expired: ending.filter((w) => !w.deleteRequested).length, removing: ending.filter((w) => w.deleteRequested).length };
  }

  /** `{root}/{tenant}/{case}/{workspace}[.staging]` entries whose workspace is not live on this node. */
  private async removeOrphans(live: ReadonlySet<string>, listedAt: number): Promise<number> {
    let removed = 0;
    for (const tenant of await dirs(this.node.root)) {
      if (!isUuid(tenant)) continue;
      for (const kase of await dirs(join(this.node.root, tenant))) {
        if (!isUuid(kase)) continue;
        for (const name of await dirs(join(this.node.root, tenant, kase))) {
          const id = name.replace(/\.staging(\.unverified)?$/, '');
          if (isUuid(id) && live.has(id.toLowerCase())) continue;
          // Made after the list above was read (a workspace being created right now): not an orphan.
          const made = await stat(join(this.node.root, tenant, kase, name)).catch(() => null);
          if (!made || made.mtimeMs >= listedAt) continue;
          await rm(join(this.node.root, tenant, kase, name), { recursive: true, force: true });
          removed += 1;
          this.logger.warn({ path: join(tenant, kase, name) }, 'removed a workspace directory that no workspace owns');
        }
      }
    }
    for (const log of await dirs(this.node.logsDir, true)) {
      const id = log.replace(/\.log$/, '');
      if (!live.has(id)) await rm(join(this.node.logsDir, log), { force: true });
    }
    return removed;
  }
}

async function dirs(path: string, files = false): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((e) => (files ? e.isFile() : e.isDirectory())).map((e) => e.name);
  } catch {
    return [];
  }
}
