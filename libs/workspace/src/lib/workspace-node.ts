import { join, resolve } from 'node:path';
import { AppConfig } from '@case-storage/config';

/**
 * Where this node keeps what: `{root}/{tenant}/{case}/{workspace}` for workspaces (only
 * these are ever mounted into an agent), `{root}/.cache` for the content store and
 * `{root}/.logs` for agent logs, both out of every agent's reach. Tenant directories are
 * UUIDs, so they can never be mistaken for the dot directories.
 */
export class WorkspaceNode {
  readonly name: string;
  readonly root: string;
  readonly cacheDir: string;
  readonly logsDir: string;

  constructor(config: AppConfig['workspaces']) {
    this.name = config.nodeName;
    this.root = resolve(config.root);
    this.cacheDir = join(this.root, '.cache');
    this.logsDir = join(this.root, '.logs');
  }

  logPath(workspaceId: string): string {
    return join(this.logsDir, `${workspaceId}.log`);
  }
}
