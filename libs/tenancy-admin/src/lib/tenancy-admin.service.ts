import { Injectable } from '@nestjs/common';
import { CaseAccessCache } from '@case-storage/auth';
import {
  CaseMemberRecord,
  CaseMemberRole,
  CaseRecord,
  PersistenceError,
  PersistenceErrorCode,
  TenancyRepository,
  TenantRecord,
} from '@case-storage/persistence';
import { PutCaseBody, PutTenantBody } from './admin-requests';
import { TenancyAdminError, TenancyAdminErrorCode } from './tenancy-admin-error';

/**
 * The rules of the tenancy admin API. Every write is an idempotent upsert (repeating a
 * request changes nothing), and each acts on the tenant named in the URL: the admin token
 * is the case-management product's own identity, which provisions every tenant (its
 * `tenant_id` claim is not a restriction here; see README).
 */
@Injectable()
export class TenancyAdminService {
  constructor(
    private readonly tenancy: TenancyRepository,
    private readonly accessCache: CaseAccessCache,
  ) {}

  putTenant(tenantId: string, body: PutTenantBody): Promise<TenantRecord> {
    return this.tenancy.upsertTenant({ id: tenantId, name: body.name, status: body.status });
  }

  async putCase(tenantId: string, caseId: string, body: PutCaseBody): Promise<CaseRecord> {
    await this.requireTenant(tenantId);
    try {
      return await this.tenancy.upsertCase(tenantId, { id: caseId, title: body.title, status: body.status });
    } catch (error) {
      if (error instanceof PersistenceError && error.code === PersistenceErrorCode.Conflict) {
        throw new TenancyAdminError(
          TenancyAdminErrorCode.CaseIdTaken,
          'This case id is already used by a case of another tenant; case ids are global, so choose a new UUID.',
          { tenantId, caseId },
        );
      }
      throw error;
    }
  }

  async putMember(tenantId: string, caseId: string, subject: string, role: CaseMemberRole): Promise<CaseMemberRecord> {
    await this.requireCase(tenantId, caseId);
    const member = await this.tenancy.setCaseMember(tenantId, caseId, subject, role);
    await this.accessCache.invalidateCase(tenantId, caseId);
    return member;
  }

  /** Idempotent: removing a subject that is not a member is not an error. */
  async removeMember(tenantId: string, caseId: string, subject: string): Promise<boolean> {
    await this.requireCase(tenantId, caseId);
    const removed = await this.tenancy.removeCaseMember(tenantId, caseId, subject);
    // Before answering: once the product hears "removed", the wall holds.
    await this.accessCache.invalidateCase(tenantId, caseId);
    return removed;
  }

  async listMembers(tenantId: string, caseId: string): Promise<CaseMemberRecord[]> {
    await this.requireCase(tenantId, caseId);
    return this.tenancy.listCaseMembers(tenantId, caseId);
  }

  private async requireTenant(tenantId: string): Promise<void> {
    if (!(await this.tenancy.findTenant(tenantId))) {
      throw new TenancyAdminError(TenancyAdminErrorCode.TenantNotFound, 'No such tenant; create it first with PUT /api/admin/tenants/{tenantId}.', {
        tenantId,
      });
    }
  }

  private async requireCase(tenantId: string, caseId: string): Promise<void> {
    if (!(await this.tenancy.findCase(tenantId, caseId))) {
      throw new TenancyAdminError(
        TenancyAdminErrorCode.CaseNotFound,
        'No such case in this tenant; create it first with PUT /api/admin/tenants/{tenantId}/cases/{caseId}.',
        { tenantId, caseId },
      );
    }
  }
}
