export * from './database';
export * from './factories';
export * from './tokens';
export * from './processes';
export * from './app-boot.contract';
export * from './upload-client';
export * from './committed-files';
