import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@case-storage/config';
import { PlatformModule } from '@case-storage/platform';
import { queueRootModule } from '@case-storage/redis';
import { WorkspaceModule } from '@case-storage/workspace';

/** Workspace manager: materializes case workspaces on the node's SSD, runs the agent, syncs back. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(config), queueRootModule(), WorkspaceModule.forRoot(config)] };
  }
}
