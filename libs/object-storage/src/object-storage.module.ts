import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { S3Client } from '@aws-sdk/client-s3';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { createS3Client } from './s3-client.factory';
import { ObjectStore } from './object-store';
import { S3_CLIENT } from './s3-client.token';


@Injectable()
class S3Lifecycle implements OnApplicationShutdown {
  constructor(@Inject(S3_CLIENT) private readonly client: S3Client) {}
  onApplicationShutdown(): void {
    this.client.destroy();
  }
}

@Global()
@Module({
  providers: [
    { provide: S3_CLIENT, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createS3Client(config.s3) },
    S3Lifecycle,
    ObjectStore,
  ],
  exports: [S3_CLIENT, ObjectStore],
})
export class ObjectStorageModule {}
