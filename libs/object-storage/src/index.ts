export * from './lib/object-storage';
