import { Global, Module } from '@nestjs/common';
import { ManifestCache } from './manifest-cache';

/** Needs the global REDIS client (RedisModule). */
@Global()
@Module({ providers: [ManifestCache], exports: [ManifestCache] })
export class ManifestCacheModule {}
