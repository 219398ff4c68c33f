import { AppConfig } from '@case-storage/config';

/** One sub-command of the `case-storage` CLI. `run` resolves to the process exit code. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  run(args: string[], config: AppConfig): Promise<number>;
}
