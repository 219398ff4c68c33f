export * from './s3-client.factory';
export * from './object-storage.module';
