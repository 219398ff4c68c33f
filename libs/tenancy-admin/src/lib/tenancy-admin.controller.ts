import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Put } from '@nestjs/common';
import { Roles } from '@case-storage/auth';
import { parseBody, parseUuid, Role } from '@case-storage/domain';
import { parseSubject, putCaseBody, putMemberBody, putTenantBody } from './admin-requests';
import { CaseMemberView, CaseView, TenantView, toCaseMemberView, toCaseView, toTenantView } from './admin-views';
import { TenancyAdminService } from './tenancy-admin.service';

/**
 * Provisioning API of the case-management product: tenants, cases, memberships.
 * Admin tokens only (enforced by the global AuthGuard via @Roles). Thin: parse, call, map.
 */
@Roles(Role.Admin)
@Controller('api/admin/tenants')
export class TenancyAdminController {
  constructor(private readonly admin: TenancyAdminService) {}

  @Put(':tenantId')
  async putTenant(@Param('tenantId') tenantId: string, @Body() body: unknown): Promise<TenantView> {
    const input = parseBody(putTenantBody, body);
    return toTenantView(await this.admin.putTenant(parseUuid(tenantId, 'tenantId'), input));
  }

  @Put(':tenantId/cases/:caseId')
  async putCase(@Param('tenantId') tenantId: string, @Param('caseId') caseId: string, @Body() body: unknown): Promise<CaseView> {
    const ids = [parseUuid(tenantId, 'tenantId'), parseUuid(caseId, 'caseId')] as const;
    const input = parseBody(putCaseBody, body);
    return toCaseView(await this.admin.putCase(...ids, input));
  }

  @Get(':tenantId/cases/:caseId/members')
  async listMembers(@Param('tenantId') tenantId: string, @Param('caseId') caseId: string): Promise<{ members: CaseMemberView[] }> {
    const members = await this.admin.listMembers(parseUuid(tenantId, 'tenantId'), parseUuid(caseId, 'caseId'));
    return { members: members.map(toCaseMemberView) };
  }

  @Put(':tenantId/cases/:caseId/members/:subject')
  async putMember(
    @Param('tenantId') tenantId: string,
    @Param('caseId') caseId: string,
    @Param('subject') subject: string,
    @Body() body: unknown,
  ): Promise<CaseMemberView> {
    const ids = [parseUuid(tenantId, 'tenantId'), parseUuid(caseId, 'caseId'), parseSubject(subject)] as const;
    const { role } = parseBody(putMemberBody, body);
    return toCaseMemberView(await this.admin.putMember(...ids, role));
  }

  /** 204 whether or not the subject was a member: DELETE is idempotent. */
  @Delete(':tenantId/cases/:caseId/members/:subject')
  @HttpCode(HttpStatus.NO_CONTENT)
  async removeMember(@Param('tenantId') tenantId: string, @Param('caseId') caseId: string, @Param('subject') subject: string): Promise<void> {
    await this.admin.removeMember(parseUuid(tenantId, 'tenantId'), parseUuid(caseId, 'caseId'), parseSubject(subject));
  }
}
