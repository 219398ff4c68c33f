import { Module } from '@nestjs/common';
import { TenancyAdminController } from './tenancy-admin.controller';
import { TenancyAdminService } from './tenancy-admin.service';

/**
 * The admin API under /api/admin/tenants. Needs the global AuthModule.forRoot() (its guard
 * enforces the admin role) and PersistenceModule.forRoot() (TenancyRepository).
 */
@Module({
  controllers: [TenancyAdminController],
  providers: [TenancyAdminService],
})
export class TenancyAdminModule {}
