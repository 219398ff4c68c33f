import { CaseMemberRole } from '@case-storage/persistence';

/** A member's role on one case (not a token role): owner ⊇ editor ⊇ viewer. */
export type CaseRole = CaseMemberRole;

const rank: Record<CaseRole, number> = { viewer: 1, editor: 2, owner: 3 };

/** Whether a member holding `held` may do what needs `minimum`. */
export function caseRoleSatisfies(held: CaseRole, minimum: CaseRole): boolean {
  return rank[held] >= rank[minimum];
}
