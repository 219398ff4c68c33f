import { CaseMemberRole } from './entities/case-member.entity';
import { CaseStatus } from './entities/case.entity';
import { TenantStatus } from './entities/tenant.entity';

/** Plain, immutable views of rows that the repositories hand out (never live entities). */
export interface TenantRecord {
  readonly id: string;
  readonly name: string;
  readonly status: TenantStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface CaseRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly title: string;
  readonly status: CaseStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface CaseMemberRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly caseId: string;
  /** The `sub` claim of the member's tokens. */
  readonly subject: string;
  readonly role: CaseMemberRole;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface TenantInput {
  readonly id: string;
  readonly name: string;
  /** Omitted: `active` for a new tenant, unchanged for an existing one. */
  readonly status?: TenantStatus;
}

export interface CaseInput {
  readonly id: string;
  readonly title: string;
  /** Omitted: `open` for a new case, unchanged for an existing one. */
  readonly status?: CaseStatus;
}

export interface AuditEventInput {
  readonly tenantId: string;
  readonly caseId?: string | null;
  readonly fileId?: string | null;
  /** The verified caller's subject, or `system:<component>` for background work. */
  readonly actor: string;
  /** Dotted verb, e.g. `case.member.set`, `file.version.committed`. */
  readonly action: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditEventRecord {
  /** bigserial as a string: ordered within a tenant, opaque otherwise. */
  readonly id: string;
  readonly tenantId: string;
  readonly caseId: string | null;
  readonly fileId: string | null;
  readonly actor: string;
  readonly action: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly occurredAt: Date;
}
