export * from './lib/queue-contracts';
