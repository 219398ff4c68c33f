import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@case-storage/config';
import { PlatformModule } from '@case-storage/platform';
import { TenancyAdminModule } from '@case-storage/tenancy-admin';

/** Upload API: pre-signed uploads and their commit; also hosts the tenancy admin API. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(config), TenancyAdminModule] };
  }
}
