import { EntityManager } from 'typeorm';
import { AuditEventInput, AuditEventRecord } from './tenancy.records';

interface AuditEventRow {
  id: string;
  tenant_id: string;
  case_id: string | null;
  file_id: string | null;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  occurred_at: Date;
}

/**
 * Appends one audit event inside the caller's tenant transaction (pass the `em` that
 * TenantTransactions.run gave you), so the event commits or rolls back with the change it
 * describes. RLS rejects an event for any tenant but the transaction's.
 */
export async function appendAudit(em: EntityManager, event: AuditEventInput): Promise<AuditEventRecord> {
  const rows: AuditEventRow[] = await em.query(
    `INSERT INTO audit_events (tenant_id, case_id, file_id, actor, action, details)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb)
     RETURNING id, tenant_id, case_id, file_id, actor, action, details, occurred_at`,
    [event.tenantId, event.caseId ?? null, event.fileId ?? null, event.actor, event.action, JSON.stringify(event.details ?? {})],
  );
  const row = rows[0];
  return {
    id: String(row.id),
    tenantId: row.tenant_id,
    caseId: row.case_id,
    fileId: row.file_id,
    actor: row.actor,
    action: row.action,
    details: row.details,
    occurredAt: row.occurred_at,
  };
}
