import { AppConfig } from '@case-storage/config';
import { DataSource, MigrationExecutor } from 'typeorm';
import { entities } from './entities/entities';
import { migrations } from './migrations/migrations';

export interface CreateDataSourceOptions {
  /**
   * Connect as the owner role (`config.database.migrationUser`) instead of the app role.
   * Only migrations and schema tooling do this; the services always run as the app role,
   * which row-level security binds.
   */
  readonly asOwner?: boolean;
}

/** Name of the table in which TypeORM records applied migrations. */
export const MIGRATIONS_TABLE = 'schema_migrations';

/**
 * Builds (does not connect) the DataSource for a service. Never `synchronize`: the schema
 * comes only from {@link migrations}.
 */
export function createDataSource(config: AppConfig, opts: CreateDataSourceOptions = {}): DataSource {
  const db = config.database;
  return new DataSource({
    type: 'postgres',
    host: db.host,
    port: db.port,
    database: db.name,
    username: opts.asOwner ? db.migrationUser : db.user,
    password: (opts.asOwner ? db.migrationPassword : db.password).reveal(),
    ssl: db.ssl,
    // The migration run needs one session for its advisory lock and the migrations.
    poolSize: opts.asOwner ? 1 : db.poolSize,
    applicationName: `case-storage/${config.service}${opts.asOwner ? '/migrate' : ''}`,
    entities: [...entities],
    migrations: [...migrations],
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  });
}

/** Arbitrary, fixed key of the session advisory lock that serialises migration runs. */
const MIGRATION_LOCK_KEY = 7_305_114_025;

/**
 * Applies pending migrations as the owner role and returns the names of those applied
 * (empty when the schema is current). Concurrent callers (several test workers, two
 * replicas' init containers) are serialised by an advisory lock, because TypeORM itself
 * does not lock and would otherwise run the same migration twice.
 */
export async function runMigrations(config: AppConfig): Promise<string[]> {
  return withOwnerDataSource(config, async (dataSource) => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        const executor = new MigrationExecutor(dataSource, runner);
        executor.transaction = 'each';
        const applied = await executor.executePendingMigrations();
        return applied.map((m) => m.name);
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  });
}

/** Names of the migrations that are known to the code but not applied yet. */
export async function pendingMigrations(config: AppConfig): Promise<string[]> {
  return withOwnerDataSource(config, async (dataSource) => {
    const pending = await new MigrationExecutor(dataSource).getPendingMigrations();
    return pending.map((m) => m.name);
  });
}

async function withOwnerDataSource<T>(config: AppConfig, fn: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = await createDataSource(config, { asOwner: true }).initialize();
  try {
    return await fn(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
