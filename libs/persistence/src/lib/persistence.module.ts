import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { DynamicModule, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSource } from './data-source.factory';
import { TenancyRepository } from './tenancy.repository';
import { TenantTransactions } from './tenant-transactions.service';

/** Closes the pool last: onApplicationShutdown runs after every module's onModuleDestroy. */
@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * Provides the app-role DataSource (connected at boot, from the global APP_CONFIG),
 * TenantTransactions and TenancyRepository to the whole app. Import once in the root module.
 */
@Module({})
export class PersistenceModule {
  static forRoot(): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      providers: [
        {
          provide: DataSource,
          inject: [APP_CONFIG],
          // Fail fast with a message an operator can act on; the orchestrator restarts us.
          useFactory: (config: AppConfig): Promise<DataSource> =>
            createDataSource(config)
              .initialize()
              .catch((err: unknown) => {
                const { host, port, name, user } = config.database;
                const reason = err instanceof Error ? err.message : String(err);
                throw new Error(`cannot connect to PostgreSQL at ${host}:${port}/${name} as ${user}: ${reason}`);
              }),
        },
        TenantTransactions,
        TenancyRepository,
        DataSourceCloser,
      ],
      exports: [DataSource, TenantTransactions, TenancyRepository],
    };
  }
}
