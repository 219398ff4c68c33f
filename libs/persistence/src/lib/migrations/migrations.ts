import { InitialSchema1796412796261 } from './1796412796261-initial-schema.migration';
import { UploadPipeline1796500000000 } from './1796500000000-upload-pipeline.migration';
import { TenantCaseStatistics1796600000000 } from './1796600000000-tenant-case-statistics.migration';
import { WorkspaceRuns1796700000000 } from './1796700000000-workspace-runs.migration';

/**
 * Every migration, oldest first, listed explicitly: the apps are bundled by webpack, so
 * TypeORM's glob loading would find nothing. Add new migrations at the end.
 */
export const migrations = [InitialSchema1796412796261, UploadPipeline1796500000000, TenantCaseStatistics1796600000000, WorkspaceRuns1796700000000];
