import { Inject, Injectable, Logger } from '@nestjs/common';
import { REDIS } from '@case-storage/redis';
import type Redis from 'ioredis';
import { generationKey, manifestKey } from './manifest-cache-keys';

/** Bump the generation and drop the manifest in one atomic step. */
const INVALIDATE = `
redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
return 1`;

const RETRY_DELAYS_MS = [50, 200, 800];

/**
 * The manifest cache as writers see it: they invalidate a case after their transaction
 * has committed. Readers (the manifest service) extend this with read-through.
 */
@Injectable()
export class ManifestCache {
  private readonly logger = new Logger(ManifestCache.name);
  private failures = 0;

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Invalidations that could not reach Redis (exported as a metric by the caller). */
  get failedInvalidations(): number {
    return this.failures;
  }

  /**
   * Never throws: the write it follows has committed already, so failing the request
   * would only make the client retry a write that succeeded. A few quick retries cover a
   * Redis failover; past them the entry's TTL is the last resort, and it is logged.
   */
  async invalidate(tenantId: string, caseId: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.redis.eval(INVALIDATE, 2, manifestKey(tenantId, caseId), generationKey(tenantId, caseId));
        return true;
      } catch (err) {
        if (attempt >= RETRY_DELAYS_MS.length) {
          this.failures++;
          this.logger.error({ err, tenantId, caseId }, 'manifest cache invalidation failed; the entry expires by its TTL');
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
      }
    }
  }
}
