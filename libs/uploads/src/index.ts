export * from './lib/uploads';
