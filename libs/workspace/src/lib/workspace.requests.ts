import { z } from 'zod';

/** POST /api/cases/{caseId}/workspaces: everything optional. */
export const createWorkspaceBody = z
  .object({
    /** How long the workspace may live; bounded by WORKSPACE_MAX_TTL_SECONDS. */
    ttlSeconds: z.number().int().min(60).optional(),
  })
  .strict();

export type CreateWorkspaceBody = z.infer<typeof createWorkspaceBody>;
