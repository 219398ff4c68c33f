import { AppConfig, loadConfig } from '@case-storage/config';
// The harness builds on persistence, whose own tests use the harness: a cycle that only
// test files create (production code may not import the harness), so it is ignored here.
import {
  CaseRecord,
  createDataSource,
  runMigrations,
  TenancyRepository,
  TenantRecord,
  TenantTransactions,
} from '@case-storage/persistence';
import { DataSource } from 'typeorm';
import { aCase, aTenant } from './factories';

/** The configuration tests use: the process environment with the development defaults. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig('tooling', { ...process.env, ...overrides });
}

const HINT = 'is PostgreSQL running? start it with scripts/services/postgres.sh start';

/**
 * A connected DataSource for tests: the app role (RLS applies) unless `asOwner`. The
 * caller destroys it (afterAll).
 */
export async function createTestDataSource(opts: { asOwner?: boolean; config?: AppConfig } = {}): Promise<DataSource> {
  const dataSource = createDataSource(opts.config ?? testConfig(), { asOwner: opts.asOwner });
  try {
    return await dataSource.initialize();
  } catch (err) {
    throw new Error(`cannot connect to the test database (${HINT}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Brings the shared test database's schema up to date (as the owner role). Safe to call
 * from every test file, also concurrently: runMigrations serialises on an advisory lock
 * and applies nothing when the schema is current.
 */
export async function migrateTestDatabase(config: AppConfig = testConfig()): Promise<string[]> {
  try {
    return await runMigrations(config);
  } catch (err) {
    throw new Error(`migrating the test database failed (${HINT}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The tenancy services over a DataSource, wired as PersistenceModule wires them. */
export function tenancyOf(dataSource: DataSource): { transactions: TenantTransactions; tenancy: TenancyRepository } {
  const transactions = new TenantTransactions(dataSource);
  return { transactions, tenancy: new TenancyRepository(transactions) };
}

/** A fresh tenant with one open case (random ids, so tests never collide). */
export async function givenTenantWithCase(dataSource: DataSource): Promise<{ tenant: TenantRecord; case: CaseRecord }> {
  const { tenancy } = tenancyOf(dataSource);
  const tenant = await tenancy.upsertTenant(aTenant());
  const kase = await tenancy.upsertCase(tenant.id, aCase());
  return { tenant, case: kase };
}
