import { DynamicModule } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import type { RedisOptions } from 'bullmq';

/** BullMQ's connection: its workers block on Redis, so commands must wait, never fail fast. */
export function bullConnectionOptions(url: string): RedisOptions {
  return { url, maxRetriesPerRequest: null };
}

/** Every queue's Redis key prefix. */
export const QUEUE_PREFIX = 'case-storage';

/** The BullMQ root module every app that queues or works jobs imports once. */
export function queueRootModule(): DynamicModule {
  return BullModule.forRootAsync({
    inject: [APP_CONFIG],
    useFactory: (config: AppConfig) => ({ connection: bullConnectionOptions(config.redis.url), prefix: QUEUE_PREFIX }),
  });
}
