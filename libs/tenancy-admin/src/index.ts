export * from './lib/admin-requests';
export * from './lib/admin-views';
export * from './lib/tenancy-admin-error';
export * from './lib/tenancy-admin.controller';
export * from './lib/tenancy-admin.module';
export * from './lib/tenancy-admin.service';
export * from './lib/tenancy-admin.openapi';
