export * from './bootstrap';
export * from './error.filter';
export * from './health.controller';
export * from './logger.module';
export * from './platform.module';
export * from './openapi';
export * from './metrics.controller';
