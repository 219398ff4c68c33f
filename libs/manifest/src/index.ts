export * from './lib/manifest.errors';
export * from './lib/manifest-query';
export * from './lib/manifest-tree';
export * from './lib/manifest.repository';
export * from './lib/manifest.service';
export * from './lib/manifest.module';
