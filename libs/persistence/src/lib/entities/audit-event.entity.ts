import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Chain of custody: who did what to which case or file. Append-only: the app role may
 * only SELECT and INSERT (see the migration's grants), so a compromised app cannot
 * rewrite history.
 */
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  /** bigserial; kept as a string because int8 may exceed 2^53 and ids are opaque. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'case_id', type: 'uuid', nullable: true })
  caseId!: string | null;

  @Column({ name: 'file_id', type: 'uuid', nullable: true })
  fileId!: string | null;

  /** The subject of the verified caller, or `system:<component>` for background work. */
  @Column({ type: 'text' })
  actor!: string;

  /** Dotted verb, e.g. `file.version.committed`. */
  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  details!: Record<string, unknown>;

  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'now()' })
  occurredAt!: Date;
}
