import { mkdir } from 'node:fs/promises';
import { DynamicModule, Inject, Module, OnModuleInit } from '@nestjs/common';
import { BullModule, getQueueToken, Processor } from '@nestjs/bullmq';
import { AppConfig } from '@case-storage/config';
import { ManifestCacheModule } from '@case-storage/manifest-cache';
import { workspaceNodeQueue } from '@case-storage/queue-contracts';
import { ContentStore } from './content-store';
import { LocalAgentRuntime } from './local-agent.runtime';
import { MaterializeService } from './materialize.service';
import { WorkspaceController } from './workspace.controller';
import { WorkspaceMaintenanceService } from './workspace-maintenance.service';
import { WorkspaceNode } from './workspace-node';
import { WorkspaceNodeProcessor } from './workspace-node.processor';
import { OWN_NODE_QUEUE, WorkspaceQueue } from './workspace-queue';
import { WorkspaceRepository } from './workspace.repository';
import { AGENT_RUNTIME, WorkspaceRunner } from './workspace-runner.service';
import { WorkspaceService } from './workspace.service';
import { WorkspaceSyncService } from './workspace-sync.service';

/** Prepares the node's directories and the content store before any job or request runs. */
class WorkspaceNodeInit implements OnModuleInit {
  constructor(
    @Inject(ContentStore) private readonly content: ContentStore,
    @Inject(WorkspaceNode) private readonly node: WorkspaceNode,
  ) {}

  async onModuleInit(): Promise<void> {
    await mkdir(this.node.root, { recursive: true, mode: 0o755 });
    await mkdir(this.node.logsDir, { recursive: true, mode: 0o700 });
    await this.content.init();
  }
}

/**
 * The workspace manager's API and jobs. Needs PlatformModule (config, persistence,
 * storage, Redis, auth) and a BullMQ root connection. The queue is this node's own
 * (`workspace-node.<NODE_NAME>`), so the module is built from the config.
 */
@Module({})
export class WorkspaceModule {
  static forRoot(config: AppConfig): DynamicModule {
    const queueName = workspaceNodeQueue(config.workspaces.nodeName);
    const lockMs = config.workspaces.jobLockMs;
    // The node's queue name is known only now; a killed manager's jobs come back after one lock period.
    Processor(queueName, { concurrency: config.workspaces.jobConcurrency, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 20 })(WorkspaceNodeProcessor);
    const node = new WorkspaceNode(config.workspaces);
    return {
      module: WorkspaceModule,
      imports: [BullModule.registerQueue({ name: queueName }), ManifestCacheModule],
      controllers: [WorkspaceController],
      providers: [
        { provide: WorkspaceNode, useValue: node },
        { provide: ContentStore, useValue: new ContentStore({ root: node.cacheDir, budgetBytes: config.workspaces.cacheBudgetBytes }) },
        { provide: AGENT_RUNTIME, useValue: new LocalAgentRuntime() },
        { provide: OWN_NODE_QUEUE, useExisting: getQueueToken(queueName) },
        WorkspaceNodeInit,
        WorkspaceRepository,
        WorkspaceQueue,
        MaterializeService,
        WorkspaceSyncService,
        WorkspaceRunner,
        WorkspaceMaintenanceService,
        WorkspaceService,
        WorkspaceNodeProcessor,
      ],
      exports: [WorkspaceService, WorkspaceRunner, WorkspaceMaintenanceService],
    };
  }
}
