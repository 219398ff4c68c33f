import { Module } from '@nestjs/common';
import { ManifestCacheModule } from '@case-storage/manifest-cache';
import { ManifestController } from './manifest.controller';
import { ManifestRepository } from './manifest.repository';
import { ManifestService } from './manifest.service';

/** Needs PlatformModule (config, persistence, storage, Redis, auth). */
@Module({
  imports: [ManifestCacheModule],
  controllers: [ManifestController],
  providers: [ManifestService, ManifestRepository],
  exports: [ManifestService],
})
export class ManifestModule {}
