import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const WORKSPACE_STATUSES = [
  'queued',
  'materializing',
  'ready',
  'running',
  'syncing',
  'completed',
  'failed',
  'expired',
] as const;
export type WorkspaceStatus = (typeof WORKSPACE_STATUSES)[number];

/** A case's files materialized on a node's SSD for an agent run. The id is also the job id. */
@Entity({ name: 'workspaces' })
export class WorkspaceEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  /** The Kubernetes node (or host) holding the workspace; null while queued. */
  @Column({ name: 'node_name', type: 'text', nullable: true })
  nodeName!: string | null;

  /** Absolute directory of the workspace on that node. */
  @Column({ type: 'text', nullable: true })
  path!: string | null;

  @Column({ type: 'text', default: 'queued' })
  status!: WorkspaceStatus;

  /** The agent's Pod name or local process id. */
  @Column({ name: 'agent_ref', type: 'text', nullable: true })
  agentRef!: string | null;

  /** What the workspace was materialized from (path -> file, version, ETag, SHA-256). */
  @Column({ type: 'jsonb', nullable: true })
  baseline!: Record<string, unknown> | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  progress!: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
