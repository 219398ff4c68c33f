export * from './errors';
export * from './ids';
export * from './roles';
export * from './file-path';
export * from './validation';
export * from './object-keys';
