import { parseUuid } from '@case-storage/domain';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** The isolation levels PostgreSQL really implements (READ UNCOMMITTED is READ COMMITTED). */
export type TenantIsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

export interface TenantTransactionOptions {
  /** Defaults to the server's (READ COMMITTED). */
  readonly isolation?: TenantIsolationLevel;
}

/**
 * The only way the services touch tenant data: a transaction whose first statement binds
 * it to one tenant. `set_config(..., true)` is transaction-local (SET LOCAL), so when the
 * connection goes back to the pool the setting is gone and the next user of that
 * connection sees nothing until it sets its own tenant. The RLS policies read the
 * setting; a statement outside such a transaction sees no tenant rows at all.
 */
@Injectable()
export class TenantTransactions {
  constructor(private readonly dataSource: DataSource) {}

  async run<T>(tenantId: string, fn: (em: EntityManager) => Promise<T>, options: TenantTransactionOptions = {}): Promise<T> {
    // A malformed id would make every policy's ::uuid cast fail; reject it up front.
    const tenant = parseUuid(tenantId, 'tenantId');
    const work = async (em: EntityManager): Promise<T> => {
      await em.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenant]);
      return fn(em);
    };
    return options.isolation ? this.dataSource.transaction(options.isolation, work) : this.dataSource.transaction(work);
  }
}
