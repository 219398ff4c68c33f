import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '@case-storage/auth';
import { collectDefaultMetrics, register } from 'prom-client';

collectDefaultMetrics();

/**
 * Prometheus metrics (process figures plus our counters: cache hits, Redis fallbacks,
 * failed invalidations). Not routed by the API gateway, which forwards `/api/` only.
 */
@Public()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
