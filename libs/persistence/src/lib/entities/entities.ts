import { AuditEventEntity } from './audit-event.entity';
import { CaseMemberEntity } from './case-member.entity';
import { CaseEntity } from './case.entity';
import { FileVersionEntity } from './file-version.entity';
import { FileEntity } from './file.entity';
import { TenantEntity } from './tenant.entity';
import { WorkspaceEntity } from './workspace.entity';

/** Every entity, listed explicitly (no globs: the apps are bundled by webpack). */
export const entities = [
  TenantEntity,
  CaseEntity,
  CaseMemberEntity,
  FileEntity,
  FileVersionEntity,
  WorkspaceEntity,
  AuditEventEntity,
] as const;
