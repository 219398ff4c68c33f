import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@case-storage/config';
import { PlatformModule } from '@case-storage/platform';
import { queueRootModule } from '@case-storage/redis';
import { TenancyAdminModule } from '@case-storage/tenancy-admin';
import { UploadsModule } from '@case-storage/uploads';

/** Upload API: pre-signed uploads and their commit; also hosts the tenancy admin API. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(config), queueRootModule(), UploadsModule, TenancyAdminModule] };
  }
}
