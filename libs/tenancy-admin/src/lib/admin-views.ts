import { CaseMemberRecord, CaseRecord, TenantRecord } from '@case-storage/persistence';

/** The admin API's JSON: stable field names, no internal row ids. */
export interface TenantView {
  readonly id: string;
  readonly name: string;
  readonly status: TenantRecord['status'];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CaseView {
  readonly id: string;
  readonly tenantId: string;
  readonly title: string;
  readonly status: CaseRecord['status'];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CaseMemberView {
  readonly tenantId: string;
  readonly caseId: string;
  readonly subject: string;
  readonly role: CaseMemberRecord['role'];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function toTenantView(t: TenantRecord): TenantView {
  return { id: t.id, name: t.name, status: t.status, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString() };
}

export function toCaseView(c: CaseRecord): CaseView {
  return {
    id: c.id,
    tenantId: c.tenantId,
    title: c.title,
    status: c.status,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function toCaseMemberView(m: CaseMemberRecord): CaseMemberView {
  return {
    tenantId: m.tenantId,
    caseId: m.caseId,
    subject: m.subject,
    role: m.role,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}
