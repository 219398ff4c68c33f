import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Role } from '@case-storage/domain';
import { AuthError, AuthErrorCode } from './auth-error';
import { AuthenticatedRequest } from './authenticated-request';
import { extractBearerToken } from './bearer-token';
import { IS_PUBLIC_KEY } from './public.decorator';
import { ROLES_KEY } from './roles.decorator';
import { TokenVerifier } from './token-verifier';

/**
 * Registered as APP_GUARD: every route is authenticated unless marked {@link Public}, and
 * routes marked with {@link Roles} also need one of those roles. The verified
 * {@link Principal} is put on the request for {@link CurrentPrincipal}.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)) {
      return true;
    }
    if (context.getType() !== 'http') {
      // No transport but HTTP carries bearer tokens here: fail closed.
      return false;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.verifier.verify(extractBearerToken(request.headers.authorization));
    request.principal = principal;

    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (required && !required.some((role) => principal.roles.includes(role))) {
      throw new AuthError(
        AuthErrorCode.ForbiddenRole,
        `This endpoint needs the ${required.map((r) => `"${r}"`).join(' or ')} role; the token carries ${principal.roles.map((r) => `"${r}"`).join(', ')}.`,
        { requiredRoles: required, tokenRoles: principal.roles },
      );
    }
    return true;
  }
}
