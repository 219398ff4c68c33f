import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig, ConfigModule } from '@case-storage/config';
import { AuthModule } from '@case-storage/auth';
import { ObjectStorageModule } from '@case-storage/object-storage';
import { PersistenceModule } from '@case-storage/persistence';
import { RedisModule } from '@case-storage/redis';
import { ErrorFilter } from './error.filter';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { loggerModule } from './logger.module';

/**
 * What every app shares: validated config, JSON logs, PostgreSQL, Redis, object storage,
 * authentication on every route, one error shape, and health endpoints.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        loggerModule(config),
        TerminusModule.forRoot({ logger: false }),
        PersistenceModule.forRoot(),
        RedisModule,
        ObjectStorageModule,
        AuthModule.forRoot(),
      ],
      controllers: [HealthController, MetricsController],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
