import { buildOpenApiDocument, OpenAPIObject } from '@case-storage/platform';
import { registerWorkspaceOpenApi } from '@case-storage/workspace';

/** The workspace manager's OpenAPI document: the workspace routes, plus the platform's health probes and metrics. */
export function buildWorkspaceManagerDocument(): OpenAPIObject {
  return buildOpenApiDocument([registerWorkspaceOpenApi], {
    title: 'Case Storage workspace manager API',
    version: '1',
    description:
      "Workspaces: a case's files materialized on a node, an agent run over them, and what it wrote synced back into the case as new files and versions (libs/workspace). " +
      'Open one with POST /api/cases/{caseId}/workspaces and follow it with GET /api/workspaces/{workspaceId}; the `Workspace` schema describes the life cycle. ' +
      'Every route needs a bearer token except the health probes, metrics and this document.',
  });
}
