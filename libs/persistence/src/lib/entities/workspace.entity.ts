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
  'deleted',
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

  /** The agent run: state, runtime ref, exit code or signal, start, deadline and end. */
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  agent!: Record<string, unknown>;

  /** What the last sync did: created, updated, conflicts, deletions seen, refused entries. */
  @Column({ name: 'sync_result', type: 'jsonb', nullable: true })
  syncResult!: Record<string, unknown> | null;

  @Column({ name: 'sync_count', type: 'integer', default: 0 })
  syncCount!: number;

  @Column({ name: 'last_synced_at', type: 'timestamptz', nullable: true })
  lastSyncedAt!: Date | null;

  /** Set by DELETE; the manager on the workspace's node stops, syncs and removes it. */
  @Column({ name: 'delete_requested_at', type: 'timestamptz', nullable: true })
  deleteRequestedAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
