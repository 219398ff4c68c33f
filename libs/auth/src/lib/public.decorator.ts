import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'caseStorage:isPublic';

/**
 * Opts a controller or route out of authentication (health endpoints). Everything else is
 * authenticated by the global {@link AuthGuard}: forgetting a decorator fails closed.
 */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(IS_PUBLIC_KEY, true);
