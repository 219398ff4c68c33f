import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Principal } from '@case-storage/domain';
import { AuthenticatedRequest } from './authenticated-request';

/** Injects the verified caller: `handler(@CurrentPrincipal() principal: Principal)`. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) {
    // Only reachable on a @Public() route: a programming error, so a loud 500.
    throw new Error('@CurrentPrincipal() used on a route that is not authenticated; remove @Public() or the parameter');
  }
  return principal;
});
