import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import Redis from 'ioredis';

/** Injection token of the shared ioredis client (cache reads and writes). */
export const REDIS = Symbol('REDIS');

/**
 * Builds a client that fails fast while Redis is down instead of queueing commands
 * forever: callers (the manifest cache) fall back to PostgreSQL, and the client keeps
 * reconnecting in the background so the cache comes back by itself.
 */
export function createRedisClient(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
    // Commands issued in the same tick share one write: a listing's access check and page read.
    enableAutoPipelining: true,
  });
}

/** Readiness probe: resolves when Redis answers PING. */
export async function pingRedis(client: Redis): Promise<void> {
  const reply = await client.ping();
  if (reply !== 'PONG') throw new Error(`unexpected PING reply: ${reply}`);
}

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly client: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const client = createRedisClient(config.redis.url, config.service);
        // Errors surface on commands and in readiness; an unhandled 'error' event would crash.
        client.on('error', () => undefined);
        return client;
      },
    },
    RedisLifecycle,
  ],
  exports: [REDIS],
})
export class RedisModule {}
