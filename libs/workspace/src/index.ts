export * from './lib/workspace-paths';
export * from './lib/workspace-scan';
export * from './lib/sync-plan';
export * from './lib/content-store';
export * from './lib/content-store.errors';
export * from './lib/agent-runtime';
export * from './lib/local-agent.runtime';
export * from './lib/agent-pod.builder';
