import { Inject, Injectable, Logger } from '@nestjs/common';
import { CaseStorageError } from '@case-storage/domain';
import { CaseMemberRecord, CaseRecord } from '@case-storage/persistence';
import { REDIS } from '@case-storage/redis';
import type Redis from 'ioredis';

/** How long a membership answer may be reused when no change invalidated it first. */
const TTL_MS = 60_000;

const key = (tenantId: string, caseId: string): string => `cache:access:${tenantId}:${caseId}`;

interface Cached {
  readonly until: number;
  readonly caseRecord: CaseRecord;
  readonly membership: CaseMemberRecord;
}

class AccessCacheUnavailableError extends CaseStorageError {
  readonly code = 'ACCESS_CACHE_UNAVAILABLE';
  readonly httpStatus = 503;
}

const DATES = new Set(['createdAt', 'updatedAt']);

/**
 * Positive membership answers in Redis, so a listing served from the manifest cache does
 * not also need PostgreSQL. Only "is a member, with this role" is cached (never a
 * refusal); every membership change drops the case's entries before it answers, and an
 * entry lives at most a minute. While Redis is down, checks go to PostgreSQL.
 */
@Injectable()
export class CaseAccessCache {
  private readonly logger = new Logger(CaseAccessCache.name);

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async get(tenantId: string, caseId: string, subject: string): Promise<Omit<Cached, 'until'> | null> {
    try {
      const raw = await this.redis.hget(key(tenantId, caseId), subject);
      if (!raw) return null;
      const cached = JSON.parse(raw, (k, v: unknown) => (DATES.has(k) && typeof v === 'string' ? new Date(v) : v)) as Cached;
      return cached.until > Date.now() ? cached : null;
    } catch {
      return null;
    }
  }

  async put(tenantId: string, caseId: string, subject: string, value: Omit<Cached, 'until'>): Promise<void> {
    const k = key(tenantId, caseId);
    await this.redis
      .multi()
      .hset(k, subject, JSON.stringify({ ...value, until: Date.now() + TTL_MS }))
      .pexpire(k, TTL_MS)
      .exec()
      .catch(() => undefined);
  }

  /**
   * Drops every cached answer for a case. Throws when Redis cannot be reached, so the
   * membership change is refused (and retried by the caller) rather than leaving a
   * removed member with access for up to a minute.
   */
  async invalidateCase(tenantId: string, caseId: string): Promise<void> {
    try {
      await this.redis.del(key(tenantId, caseId));
    } catch (err) {
      this.logger.error({ err, tenantId, caseId }, 'could not drop cached case access');
      throw new AccessCacheUnavailableError('the access cache is unreachable; retry the membership change shortly');
    }
  }
}
