import { CodedError } from '@case-storage/domain';

export enum TenancyAdminErrorCode {
  /** Cases are created under an existing tenant: PUT the tenant first. */
  TenantNotFound = 'TENANT_NOT_FOUND',
  /** Memberships are managed on an existing case of that tenant: PUT the case first. */
  CaseNotFound = 'CASE_NOT_FOUND',
  /** Case ids are global: this one already belongs to a case of another tenant. */
  CaseIdTaken = 'CASE_ID_TAKEN',
}

const tenancyAdminErrorStatus: Record<TenancyAdminErrorCode, number> = {
  [TenancyAdminErrorCode.TenantNotFound]: 404,
  [TenancyAdminErrorCode.CaseNotFound]: 404,
  [TenancyAdminErrorCode.CaseIdTaken]: 409,
};

export class TenancyAdminError extends CodedError<TenancyAdminErrorCode> {
  constructor(code: TenancyAdminErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, tenancyAdminErrorStatus, message, details);
  }
}
