import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const CASE_MEMBER_ROLES = ['owner', 'editor', 'viewer'] as const;
export type CaseMemberRole = (typeof CASE_MEMBER_ROLES)[number];

/**
 * Ethical walls: who (the token's `sub`) may see a case, and with which role. One row per
 * (tenant, case, subject).
 */
@Entity({ name: 'case_members' })
export class CaseMemberEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @Column({ type: 'text' })
  subject!: string;

  @Column({ type: 'text' })
  role!: CaseMemberRole;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
