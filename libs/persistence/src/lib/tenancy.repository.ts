import { parseUuid } from '@case-storage/domain';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { appendAudit } from './audit-event.writer';
import { CaseMemberEntity, CaseMemberRole } from './entities/case-member.entity';
import { CaseEntity } from './entities/case.entity';
import { TenantEntity } from './entities/tenant.entity';
import { PersistenceError, PersistenceErrorCode, PgErrorCode, pgErrorOf } from './persistence.error';
import { TenantTransactions } from './tenant-transactions.service';
import {
  AuditEventInput,
  AuditEventRecord,
  CaseInput,
  CaseMemberRecord,
  CaseRecord,
  TenantInput,
  TenantRecord,
} from './tenancy.records';

/**
 * Tenants, cases and case membership (the ethical walls). Every method runs in its own
 * tenant transaction; ids are validated as UUIDs before they reach SQL. Upserts are
 * idempotent: repeating one with the same input changes nothing (not even updated_at).
 */
@Injectable()
export class TenancyRepository {
  constructor(private readonly transactions: TenantTransactions) {}

  async upsertTenant(input: TenantInput): Promise<TenantRecord> {
    const id = parseUuid(input.id, 'tenantId');
    return translate({ notFound: 'tenant not found' }, () =>
      this.transactions.run(id, async (em) => {
        await em.query(
          `INSERT INTO tenants (id, name, status) VALUES ($1, $2, COALESCE($3::text, 'active'))
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, status = COALESCE($3::text, tenants.status)
           WHERE (tenants.name, tenants.status) IS DISTINCT FROM (EXCLUDED.name, COALESCE($3::text, tenants.status))`,
          [id, input.name, input.status ?? null],
        );
        return toTenantRecord(await em.findOneByOrFail(TenantEntity, { id }));
      }),
    );
  }

  async findTenant(tenantId: string): Promise<TenantRecord | null> {
    const id = parseUuid(tenantId, 'tenantId');
    const row = await this.transactions.run(id, (em) => em.findOneBy(TenantEntity, { id }));
    return row ? toTenantRecord(row) : null;
  }

  /**
   * Creates or updates a case of `tenantId`. A case id that exists under another tenant is
   * a Conflict (RLS forbids touching that row; we do not say whose it is); an unknown
   * tenant is NotFound.
   */
  async upsertCase(tenantId: string, input: CaseInput): Promise<CaseRecord> {
    const tenant = parseUuid(tenantId, 'tenantId');
    const id = parseUuid(input.id, 'caseId');
    return translate({ notFound: 'tenant not found', conflict: 'case id already in use' }, () =>
      this.transactions.run(tenant, async (em) => {
        await em.query(
          `INSERT INTO cases (id, tenant_id, title, status) VALUES ($1, $2, $3, COALESCE($4::text, 'open'))
           ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, status = COALESCE($4::text, cases.status)
           WHERE (cases.title, cases.status) IS DISTINCT FROM (EXCLUDED.title, COALESCE($4::text, cases.status))`,
          [id, tenant, input.title, input.status ?? null],
        );
        const row = await em.findOneBy(CaseEntity, { id, tenantId: tenant });
        // A conflicting row of another tenant that RLS filtered out of the upsert.
        if (!row) throw new PersistenceError(PersistenceErrorCode.Conflict, 'case id already in use', { caseId: id });
        return toCaseRecord(row);
      }),
    );
  }

  async findCase(tenantId: string, caseId: string): Promise<CaseRecord | null> {
    const tenant = parseUuid(tenantId, 'tenantId');
    const id = parseUuid(caseId, 'caseId');
    const row = await this.transactions.run(tenant, (em) => em.findOneBy(CaseEntity, { id, tenantId: tenant }));
    return row ? toCaseRecord(row) : null;
  }

  /** Adds `subject` to the case or changes its role. Unknown case (for this tenant): NotFound. */
  async setCaseMember(tenantId: string, caseId: string, subject: string, role: CaseMemberRole): Promise<CaseMemberRecord> {
    const tenant = parseUuid(tenantId, 'tenantId');
    const caseUuid = parseUuid(caseId, 'caseId');
    return translate({ notFound: 'case not found' }, () =>
      this.transactions.run(tenant, async (em) => {
        await em.query(
          `INSERT INTO case_members (tenant_id, case_id, subject, role) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, case_id, subject) DO UPDATE SET role = EXCLUDED.role
           WHERE case_members.role IS DISTINCT FROM EXCLUDED.role`,
          [tenant, caseUuid, subject, role],
        );
        const row = await em.findOneByOrFail(CaseMemberEntity, { tenantId: tenant, caseId: caseUuid, subject });
        return toCaseMemberRecord(row);
      }),
    );
  }

  /** True if a membership was removed, false if there was none. */
  async removeCaseMember(tenantId: string, caseId: string, subject: string): Promise<boolean> {
    const tenant = parseUuid(tenantId, 'tenantId');
    const caseUuid = parseUuid(caseId, 'caseId');
    const result = await this.transactions.run(tenant, (em) =>
      em.delete(CaseMemberEntity, { tenantId: tenant, caseId: caseUuid, subject }),
    );
    return (result.affected ?? 0) > 0;
  }

  /** Members ordered by subject. */
  async listCaseMembers(tenantId: string, caseId: string): Promise<CaseMemberRecord[]> {
    const tenant = parseUuid(tenantId, 'tenantId');
    const caseUuid = parseUuid(caseId, 'caseId');
    const rows = await this.transactions.run(tenant, (em) =>
      em.find(CaseMemberEntity, { where: { tenantId: tenant, caseId: caseUuid }, order: { subject: 'ASC' } }),
    );
    return rows.map(toCaseMemberRecord);
  }

  async findMembership(tenantId: string, caseId: string, subject: string): Promise<CaseMemberRecord | null> {
    const tenant = parseUuid(tenantId, 'tenantId');
    const caseUuid = parseUuid(caseId, 'caseId');
    const row = await this.transactions.run(tenant, (em) =>
      em.findOneBy(CaseMemberEntity, { tenantId: tenant, caseId: caseUuid, subject }),
    );
    return row ? toCaseMemberRecord(row) : null;
  }

  /** See {@link appendAudit}; here so services that hold the repository need no other import. */
  appendAudit(em: EntityManager, event: AuditEventInput): Promise<AuditEventRecord> {
    return appendAudit(em, event);
  }
}

/**
 * Turns the database errors these operations can legitimately hit into PersistenceErrors
 * with stable codes; anything else propagates unchanged (it is a bug or an outage).
 */
async function translate<T>(messages: { notFound: string; conflict?: string }, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    const pg = pgErrorOf(err);
    if (!pg) throw err;
    const details = { constraint: pg.constraint, table: pg.table };
    switch (pg.code) {
      case PgErrorCode.ForeignKeyViolation:
        throw new PersistenceError(PersistenceErrorCode.NotFound, messages.notFound, details);
      case PgErrorCode.UniqueViolation:
        throw new PersistenceError(PersistenceErrorCode.Conflict, messages.conflict ?? 'already exists', details);
      case PgErrorCode.InsufficientPrivilege:
        // RLS refused an existing row: the id belongs to another tenant.
        if (messages.conflict) throw new PersistenceError(PersistenceErrorCode.Conflict, messages.conflict, details);
        throw err;
      case PgErrorCode.CheckViolation:
      case PgErrorCode.NotNullViolation:
        throw new PersistenceError(PersistenceErrorCode.ConstraintViolation, 'value rejected by the database', details);
      default:
        throw err;
    }
  }
}

function toTenantRecord(row: TenantEntity): TenantRecord {
  return { id: row.id, name: row.name, status: row.status, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function toCaseRecord(row: CaseEntity): CaseRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    title: row.title,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toCaseMemberRecord(row: CaseMemberEntity): CaseMemberRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    caseId: row.caseId,
    subject: row.subject,
    role: row.role,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
