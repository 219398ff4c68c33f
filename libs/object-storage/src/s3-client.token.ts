/** Injection token of the shared S3 client. Only adapters in this library use it. */
export const S3_CLIENT = Symbol('S3_CLIENT');
