import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { ManifestCacheModule } from '@case-storage/manifest-cache';
import { UPLOAD_MAINTENANCE_QUEUE } from '@case-storage/queue-contracts';
import { UploadMaintenanceProcessor } from './upload-maintenance.processor';
import { UploadMaintenanceService } from './upload-maintenance.service';
import { UploadController } from './upload.controller';
import { UploadRepository } from './upload.repository';
import { UploadService } from './upload.service';

/** Needs PlatformModule (config, persistence, storage, Redis, auth) and a BullMQ root connection. */
@Module({
  imports: [BullModule.registerQueue({ name: UPLOAD_MAINTENANCE_QUEUE }), ManifestCacheModule],
  controllers: [UploadController],
  providers: [UploadService, UploadRepository, UploadMaintenanceService, UploadMaintenanceProcessor],
  exports: [UploadService, UploadMaintenanceService],
})
export class UploadsModule {}
