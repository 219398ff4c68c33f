import { ConfigModule } from '@case-storage/config';
import { aCase, aTenant, migrateTestDatabase, testConfig } from '@case-storage/testing';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { createDataSource } from './data-source.factory';
import { pingDatabase } from './database-health';
import { PersistenceErrorCode } from './persistence.error';
import { PersistenceModule } from './persistence.module';
import { TenancyRepository } from './tenancy.repository';
import { TenantTransactions } from './tenant-transactions.service';

describe('PersistenceModule', () => {
  beforeAll(async () => {
    await migrateTestDatabase();
  });

  it('connects as the app role, serves the repositories and closes the pool on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(testConfig()), PersistenceModule.forRoot()],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();

    const dataSource = app.get(DataSource);
    expect(dataSource.isInitialized).toBe(true);
    const [{ user }] = await dataSource.query('SELECT current_user AS user');
    expect(user).toBe(testConfig().database.user);
    await expect(pingDatabase(dataSource)).resolves.toBeUndefined();

    const tenancy = app.get(TenancyRepository);
    expect(app.get(TenantTransactions)).toBeInstanceOf(TenantTransactions);
    const tenant = await tenancy.upsertTenant(aTenant());
    const kase = await tenancy.upsertCase(tenant.id, aCase());
    expect(await tenancy.findCase(tenant.id, kase.id)).toEqual(kase);

    await app.close();
    expect(dataSource.isInitialized).toBe(false);
    await expect(pingDatabase(dataSource)).rejects.toMatchObject({ code: PersistenceErrorCode.Unavailable, httpStatus: 503 });
  });

  it('reports a database that does not answer in time as Unavailable', async () => {
    const config = testConfig();
    // One connection, kept busy: the ping has to wait for it and times out.
    const dataSource = await createDataSource({ ...config, database: { ...config.database, poolSize: 1 } }).initialize();
    try {
      const busy = dataSource.query('SELECT pg_sleep(1.5)');
      await expect(pingDatabase(dataSource, 200)).rejects.toMatchObject({
        code: PersistenceErrorCode.Unavailable,
        message: expect.stringContaining('did not answer within 200 ms'),
      });
      await busy;
      await expect(pingDatabase(dataSource)).resolves.toBeUndefined();
    } finally {
      await dataSource.destroy();
    }
  });
});
