import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { S3Client } from '@aws-sdk/client-s3';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { Public } from '@case-storage/auth';
import { pingObjectStorage, S3_CLIENT } from '@case-storage/object-storage';
import { pingDatabase } from '@case-storage/persistence';
import { pingRedis, REDIS } from '@case-storage/redis';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';

const PROBE_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `/health/live` answers while the process can serve at all (no dependencies checked,
 * so a database outage never restarts every pod); `/health/ready` checks each backing
 * service so the gateway stops routing to a replica that cannot do its job.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(S3_CLIENT) private readonly s3: S3Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('live')
  live(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.config.service };
  }

  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.probe('postgres', () => pingDatabase(this.dataSource)),
        () => this.probe('redis', () => pingRedis(this.redis)),
        () => this.probe('objectStorage', () => pingObjectStorage(this.s3, this.config.s3.bucket)),
      ]);
    } catch (err) {
      // Keep terminus' per-dependency report as the 503 body: it says which one is down.
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(503);
      return err.getResponse() as HealthCheckResult;
    }
  }

  private async probe(key: string, ping: () => Promise<void>): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(ping(), PROBE_TIMEOUT_MS);
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }
}
