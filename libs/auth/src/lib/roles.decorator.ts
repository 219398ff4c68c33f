import { SetMetadata } from '@nestjs/common';
import { Role } from '@case-storage/domain';

export const ROLES_KEY = 'caseStorage:roles';

/**
 * Restricts a controller or route to callers whose token carries at least one of `roles`.
 * A route-level `@Roles` replaces a controller-level one.
 */
export const Roles = (...roles: [Role, ...Role[]]): ClassDecorator & MethodDecorator => SetMetadata(ROLES_KEY, roles);
