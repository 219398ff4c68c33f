export * from './s3-client.factory';
export * from './object-storage.module';
export * from './object-store';
export * from './s3-client.token';
