import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { REDIS } from '@case-storage/redis';
import type Redis from 'ioredis';
import { Counter } from 'prom-client';
import { fillLockKey, generationKey, manifestKey } from './manifest-cache-keys';

/** Bump the generation and drop every cached page of the case in one atomic step. */
const INVALIDATE = `
redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
return 1`;

/**
 * Stores a page only if no invalidation happened since its data was read: the caller
 * passes the generation it saw before querying the database.
 */
const PUT_IF_GENERATION = `
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const RETRY_DELAYS_MS = [50, 200, 800];

export const cacheInvalidationFailures = new Counter({
  name: 'manifest_cache_invalidation_failures_total',
  help: 'Manifest cache invalidations that could not reach Redis (entries then expire by TTL)',
});

/**
 * The manifest cache. Writers invalidate a case after their transaction has committed;
 * the manifest service reads through it. Every method that reads may throw when Redis is
 * unreachable: callers fall back to PostgreSQL.
 */
@Injectable()
export class ManifestCache {
  private readonly logger = new Logger(ManifestCache.name);

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

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
          cacheInvalidationFailures.inc();
          this.logger.error({ err, tenantId, caseId }, 'manifest cache invalidation failed; the entry expires by its TTL');
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
      }
    }
  }

  /** The cached page, if any. */
  async getPage(tenantId: string, caseId: string, field: string): Promise<string | null> {
    return this.redis.hget(manifestKey(tenantId, caseId), field);
  }

  /** The generation to remember before reading the database for a page. */
  async generation(tenantId: string, caseId: string): Promise<string> {
    return (await this.redis.get(generationKey(tenantId, caseId))) ?? '0';
  }

  /** Stores a page built from data read at `generation`; false when an invalidation came in between. */
  async putPage(tenantId: string, caseId: string, field: string, generation: string, value: string, ttlSeconds: number): Promise<boolean> {
    const stored = await this.redis.eval(
      PUT_IF_GENERATION,
      2,
      manifestKey(tenantId, caseId),
      generationKey(tenantId, caseId),
      generation,
      field,
      value,
      String(ttlSeconds),
    );
    return stored === 1;
  }

  /** Takes the fill lock for a page; resolves a release function, or null when another replica holds it. */
  async tryLockFill(tenantId: string, caseId: string, field: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
    const key = fillLockKey(tenantId, caseId, field);
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;
    return async () => {
      await this.redis.eval(RELEASE_LOCK, 1, key, token).catch(() => undefined);
    };
  }
}
