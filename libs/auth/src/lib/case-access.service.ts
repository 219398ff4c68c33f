import { Injectable } from '@nestjs/common';
import { parseUuid, Principal } from '@case-storage/domain';
import { CaseMemberRecord, CaseRecord, TenancyRepository } from '@case-storage/persistence';
import { AuthError, AuthErrorCode } from './auth-error';
import { CaseAccessCache } from './case-access.cache';
import { CaseRole, caseRoleSatisfies } from './case-role';

/** What a successful access check proves, for the caller to use without reading again. */
export interface CaseAccess {
  readonly tenantId: string;
  readonly caseRecord: CaseRecord;
  readonly membership: CaseMemberRecord;
}

/**
 * The one gate in front of case data. Services call it before anything else touches a
 * case, so an ethical wall holds even if a controller forgets a check of its own.
 */
@Injectable()
export class CaseAccessService {
  constructor(
    private readonly tenancy: TenancyRepository,
    private readonly cache: CaseAccessCache,
  ) {}

  /**
   * Resolves when `principal` is a member of `caseId` in its own tenant with at least
   * `minimumRole`. A case in another tenant, a case that does not exist and a case the
   * caller is walled off from all answer the same 404 (CASE_NOT_FOUND), so none of them
   * can be told apart from outside. Membership is looked up first, scoped by the token's
   * tenant: for an outsider no case row is read at all.
   *
   * Token roles do not bypass this: an admin token manages memberships, it does not read
   * case content.
   */
  async assertCaseAccess(principal: Principal, caseId: string, minimumRole: CaseRole = 'viewer'): Promise<CaseAccess> {
    const id = parseUuid(caseId, 'caseId');
    const notFound = (): AuthError =>
      new AuthError(AuthErrorCode.CaseNotFound, 'No such case, or you are not a member of it; ask the case owner to add you.', { caseId: id });

    const cached = await this.cache.get(principal.tenantId, id, principal.subject);
    const membership = cached?.membership ?? (await this.tenancy.findMembership(principal.tenantId, id, principal.subject));
    if (!membership) {
      throw notFound();
    }
    const caseRecord = cached?.caseRecord ?? (await this.tenancy.findCase(principal.tenantId, id));
    if (!caseRecord) {
      throw notFound();
    }
    if (!cached) await this.cache.put(principal.tenantId, id, principal.subject, { caseRecord, membership });
    if (!caseRoleSatisfies(membership.role, minimumRole)) {
      throw new AuthError(
        AuthErrorCode.InsufficientCaseRole,
        `You are a ${membership.role} on this case; this needs ${minimumRole} or higher. Ask the case owner to change your role.`,
        { caseId: id, caseRole: membership.role, requiredCaseRole: minimumRole },
      );
    }
    return { tenantId: principal.tenantId, caseRecord, membership };
  }
}
