import { randomUUID } from 'node:crypto';
import { DynamicModule } from '@nestjs/common';
import { AppConfig } from '@case-storage/config';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A gateway's request id is kept when it is sane, so one id follows a call across services. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** Structured JSON logs (pino); credentials and pre-signed URL signatures never reach them. */
export function loggerModule(config: AppConfig): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.log.level,
      base: { service: config.service },
      genReqId: requestIdOf,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.secret', '*.token'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0] }),
      },
      autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
    },
  });
}
