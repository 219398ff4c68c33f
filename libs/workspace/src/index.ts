export * from './lib/workspace-paths';
export * from './lib/workspace-scan';
export * from './lib/sync-plan';
