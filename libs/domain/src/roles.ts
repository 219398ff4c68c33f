/** Roles carried in the bearer token. */
export enum Role {
  /** A lawyer or paralegal: works on the cases they are a member of. */
  User = 'user',
  /** The case-management product itself: manages tenants, cases and memberships. */
  Admin = 'admin',
}

/** The verified caller of a request, derived from its bearer token. */
export interface Principal {
  readonly subject: string;
  readonly tenantId: string;
  readonly roles: readonly Role[];
}
