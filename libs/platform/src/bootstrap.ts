import { ConsoleLogger, DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from '@case-storage/config';
import { Logger } from 'nestjs-pino';

/**
 * Starts an app the same way everywhere: JSON logs from the first line, shutdown hooks
 * (SIGTERM drains HTTP, closes pools and queues), and a hard deadline so a stuck
 * dependency can never keep a terminating pod alive forever.
 */
export async function bootstrap(
  appModule: Type | DynamicModule,
  config: AppConfig,
  /** App-specific setup that must happen before `listen`, e.g. serving the OpenAPI document. */
  configure?: (app: NestExpressApplication) => void,
): Promise<INestApplication> {
  // JSON from the first line: if boot fails before pino takes over, Nest's own logger
  // still writes one JSON object per line.
  const app = await NestFactory.create<NestExpressApplication>(appModule, {
    bufferLogs: true,
    logger: new ConsoleLogger({ json: true, colors: false, context: config.service }),
  });
  configureApp(app, config);
  configure?.(app);
  app.enableShutdownHooks();

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        app.get(Logger).error(`shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
    });
  }

  await app.listen(config.http.port, config.http.host);
  app.get(Logger).log(`${config.service} listening on http://${config.http.host}:${config.http.port}`);
  return app;
}

/**
 * Everything about an app instance that is not its modules: logs, body limits, CORS. Shared by `bootstrap` and by tests that build the app in-process.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Batches of upload entries with part checksums outgrow express's 100 kB default.
  app.useBodyParser('json', { limit: '4mb' });
  if (config.cors.origins.length > 0) {
    app.enableCors({
      origin: [...config.cors.origins],
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'if-none-match'],
      exposedHeaders: ['x-request-id', 'etag'],
      maxAge: 600,
    });
  }
}
