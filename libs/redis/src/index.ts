export * from './redis.module';
export * from './queue-root.module';
