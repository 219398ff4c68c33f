export * from './lib/manifest-cache';
