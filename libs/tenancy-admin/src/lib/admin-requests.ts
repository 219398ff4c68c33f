import { MAX_SUBJECT_LENGTH } from '@case-storage/auth';
import { RequestError, RequestErrorCode } from '@case-storage/domain';
import { CASE_MEMBER_ROLES, CASE_STATUSES, TENANT_STATUSES } from '@case-storage/persistence';
import { z } from 'zod';

/** Bodies are strict: an unknown field is more likely a typo than something to ignore. */
export const putTenantBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    status: z.enum(TENANT_STATUSES).optional(),
  })
  .strict();
export type PutTenantBody = z.infer<typeof putTenantBody>;

export const putCaseBody = z
  .object({
    title: z.string().trim().min(1).max(500),
    status: z.enum(CASE_STATUSES).optional(),
  })
  .strict();
export type PutCaseBody = z.infer<typeof putCaseBody>;

export const putMemberBody = z.object({ role: z.enum(CASE_MEMBER_ROLES) }).strict();
export type PutMemberBody = z.infer<typeof putMemberBody>;

/** A case member's subject from the URL: the `sub` of that person's tokens. */
export function parseSubject(value: unknown): string {
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_SUBJECT_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new RequestError(
      RequestErrorCode.ValidationFailed,
      `subject must be the member's token subject: 1 to ${MAX_SUBJECT_LENGTH} printable characters.`,
      { subject: value },
    );
  }
  return value;
}
