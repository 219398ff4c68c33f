import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { CaseStorageError } from '@case-storage/domain';
import type { Request, Response } from 'express';
import { requestIdOf } from './logger.module';

/** The one JSON shape every error answer has. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  requestId: string;
}

const HTTP_CODES: Partial<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return typeof err === 'object' && err !== null && typeof (err as BodyParserError).type === 'string' && typeof (err as BodyParserError).status === 'number';
}

/** Maps an error to its HTTP status and body. Pure, so it is unit-tested on its own. */
export function toErrorResponse(err: unknown, requestId: string): { status: number; body: ErrorBody } {
  if (err instanceof CaseStorageError) {
    return { status: err.httpStatus, body: { code: err.code, message: err.message, details: err.details, requestId } };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    // Nest turns body-parser's JSON SyntaxError into a bare BadRequestException.
    if (status === 400 && err.constructor.name === 'BadRequestException' && /JSON/.test(err.message)) {
      return { status, body: { code: 'MALFORMED_JSON', message: `the request body is not valid JSON: ${err.message}`, requestId } };
    }
    const response = err.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? [(response as { message: unknown }).message].flat().join('; ')
        : err.message;
    return { status, body: { code: HTTP_CODES[status] ?? `HTTP_${status}`, message, requestId } };
  }
  if (isBodyParserError(err)) {
    if (err.type === 'entity.parse.failed') {
      return { status: 400, body: { code: 'MALFORMED_JSON', message: 'the request body is not valid JSON', requestId } };
    }
    if (err.type === 'entity.too.large') {
      return { status: 413, body: { code: 'PAYLOAD_TOO_LARGE', message: 'the request body is too large', requestId } };
    }
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { code: 'INTERNAL', message: `internal error; quote request id ${requestId} when reporting it`, requestId },
  };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request & { id?: unknown }>();
    const res = http.getResponse<Response>();
    // Errors raised before the logging middleware ran (a malformed JSON body) have no id yet.
    const requestId = String(req.id ?? requestIdOf(req, res));
    const { status, body } = toErrorResponse(err, requestId);
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="case-storage"');
    if (status >= 500) {
      this.logger.error({ err, requestId, method: req.method, path: req.path }, 'request failed');
    }
    if (!res.headersSent) res.status(status).json(body);
  }
}
