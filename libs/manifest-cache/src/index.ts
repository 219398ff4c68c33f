export * from './manifest-cache-keys';
export * from './manifest-cache';
export * from './manifest-cache.module';
