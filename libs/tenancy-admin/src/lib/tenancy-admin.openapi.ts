import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { MAX_SUBJECT_LENGTH } from '@case-storage/auth';
import { RequestErrorCode } from '@case-storage/domain';
import { CASE_MEMBER_ROLES, CASE_STATUSES, TENANT_STATUSES } from '@case-storage/persistence';
import {
  AUTHENTICATED_ERRORS,
  ErrorCodes,
  errorResponses,
  JSON_BODY_ERRORS,
  jsonBody,
  jsonResponse,
  mergeErrorCodes,
  OpenAPIRegistry,
  ROLE_ERRORS,
  SameShape,
  uuidParam,
} from '@case-storage/platform';
import { z } from 'zod';
import { putCaseBody, putMemberBody, putTenantBody } from './admin-requests';
import type { CaseMemberView, CaseView, TenantView } from './admin-views';
import { TenancyAdminErrorCode } from './tenancy-admin-error';

extendZodWithOpenApi(z);

/*
 * The tenancy admin API's OpenAPI description: request bodies are the schemas the
 * controller parses with; response schemas mirror admin-views.ts (checked by SameShape).
 */

export const tenantViewSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    status: z.enum(TENANT_STATUSES),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Tenant');

export const caseViewSchema = z
  .object({
    id: z.string().uuid(),
    tenantId: z.string().uuid(),
    title: z.string(),
    status: z.enum(CASE_STATUSES),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Case');

export const caseMemberViewSchema = z
  .object({
    tenantId: z.string().uuid(),
    caseId: z.string().uuid(),
    subject: z.string(),
    role: z.enum(CASE_MEMBER_ROLES),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('CaseMember');

// Fails to compile when a view in admin-views.ts and its schema drift apart.
const viewsMatch: [
  SameShape<z.infer<typeof tenantViewSchema>, TenantView>,
  SameShape<z.infer<typeof caseViewSchema>, CaseView>,
  SameShape<z.infer<typeof caseMemberViewSchema>, CaseMemberView>,
] = [true, true, true];
void viewsMatch;

const tenantId = uuidParam('The tenant');
const caseId = uuidParam('The case (case ids are global across tenants)');
const subject = z
  .string()
  .min(1)
  .max(MAX_SUBJECT_LENGTH)
  .openapi({ description: "The member's token subject (`sub`): printable characters, URL-encoded" });

/** Every admin route: an admin token, ids that parse. */
const ADMIN_ERRORS: ErrorCodes = mergeErrorCodes(AUTHENTICATED_ERRORS, ROLE_ERRORS, { 400: [RequestErrorCode.InvalidId] });
const MEMBER_ERRORS: ErrorCodes = { 400: [RequestErrorCode.ValidationFailed], 404: [TenancyAdminErrorCode.CaseNotFound] };

/** Every route of tenancy-admin.controller.ts (admin tokens only). */
export function registerTenancyAdminOpenApi(registry: OpenAPIRegistry): void {
  const tags = ['tenancy-admin'];

  registry.registerPath({
    method: 'put',
    path: '/api/admin/tenants/{tenantId}',
    operationId: 'putTenant',
    tags,
    summary: 'Create or update a tenant',
    request: { params: z.object({ tenantId }), body: jsonBody(putTenantBody.openapi('PutTenantRequest')) },
    responses: {
      200: jsonResponse('The tenant as stored', tenantViewSchema),
      ...errorResponses(ADMIN_ERRORS, JSON_BODY_ERRORS),
    },
  });

  registry.registerPath({
    method: 'put',
    path: '/api/admin/tenants/{tenantId}/cases/{caseId}',
    operationId: 'putCase',
    tags,
    summary: 'Create or update a case of an existing tenant',
    request: { params: z.object({ tenantId, caseId }), body: jsonBody(putCaseBody.openapi('PutCaseRequest')) },
    responses: {
      200: jsonResponse('The case as stored', caseViewSchema),
      ...errorResponses(ADMIN_ERRORS, JSON_BODY_ERRORS, {
        404: [TenancyAdminErrorCode.TenantNotFound],
        409: [TenancyAdminErrorCode.CaseIdTaken],
      }),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/admin/tenants/{tenantId}/cases/{caseId}/members',
    operationId: 'listCaseMembers',
    tags,
    summary: 'The members of a case',
    request: { params: z.object({ tenantId, caseId }) },
    responses: {
      200: jsonResponse('Every member with their case role', z.object({ members: z.array(caseMemberViewSchema) })),
      ...errorResponses(ADMIN_ERRORS, { 404: [TenancyAdminErrorCode.CaseNotFound] }),
    },
  });

  registry.registerPath({
    method: 'put',
    path: '/api/admin/tenants/{tenantId}/cases/{caseId}/members/{subject}',
    operationId: 'putCaseMember',
    tags,
    summary: 'Add a member to a case or change their role',
    request: { params: z.object({ tenantId, caseId, subject }), body: jsonBody(putMemberBody.openapi('PutCaseMemberRequest')) },
    responses: {
      200: jsonResponse('The membership as stored', caseMemberViewSchema),
      ...errorResponses(ADMIN_ERRORS, JSON_BODY_ERRORS, MEMBER_ERRORS),
    },
  });

  registry.registerPath({
    method: 'delete',
    path: '/api/admin/tenants/{tenantId}/cases/{caseId}/members/{subject}',
    operationId: 'removeCaseMember',
    tags,
    summary: 'Remove a member from a case',
    description: 'Idempotent: 204 whether or not the subject was a member.',
    request: { params: z.object({ tenantId, caseId, subject }) },
    responses: {
      204: { description: 'Not a member (any more)' },
      ...errorResponses(ADMIN_ERRORS, MEMBER_ERRORS),
    },
  });
}
