import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@case-storage/config';
import { ManifestModule } from '@case-storage/manifest';
import { PlatformModule } from '@case-storage/platform';

/** Manifest service: each case's file tree, versions and download URLs. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: AppModule, imports: [PlatformModule.forRoot(config), ManifestModule] };
  }
}
