import type { IncomingHttpHeaders } from 'node:http';
import { Principal } from '@case-storage/domain';

/** The part of an HTTP request the auth layer reads and writes. */
export interface AuthenticatedRequest {
  readonly headers: IncomingHttpHeaders;
  /** Set by the {@link AuthGuard} once the bearer token has been verified. */
  principal?: Principal;
}
