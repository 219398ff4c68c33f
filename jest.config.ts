import type { Config } from 'jest';
import { getJestProjectsAsync } from '@nx/jest';

export default async (): Promise<Config> => ({
  projects: await getJestProjectsAsync(),
  // A global option: per-project presets cannot set it. Integration tests talk to real
  // services on a 2-core machine, where 5 s is too tight under load.
  testTimeout: 30_000,
});
