import { BadRequestException, NotFoundException } from '@nestjs/common';
import { RequestError, RequestErrorCode } from '@case-storage/domain';
import { toErrorResponse } from './error.filter';

describe('toErrorResponse', () => {
  it('keeps the code, message and details of our own errors', () => {
    const err = new RequestError(RequestErrorCode.InvalidId, 'caseId must be a UUID', { caseId: 'x' });
    expect(toErrorResponse(err, 'req-1')).toEqual({
      status: 400,
      body: { code: 'INVALID_ID', message: 'caseId must be a UUID', details: { caseId: 'x' }, requestId: 'req-1' },
    });
  });

  it('gives framework errors a stable code', () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /nope'), 'r').body.code).toBe('NOT_FOUND');
    const validation = toErrorResponse(new BadRequestException(['path must be a string', 'size must be positive']), 'r');
    expect(validation.status).toBe(400);
    expect(validation.body.message).toBe('path must be a string; size must be positive');
  });

  it('names malformed JSON bodies', () => {
    const parseError = Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 });
    expect(toErrorResponse(parseError, 'r')).toMatchObject({ status: 400, body: { code: 'MALFORMED_JSON' } });
  });

  it('hides the details of unexpected errors behind the request id', () => {
    const out = toErrorResponse(new Error('connection to 10.0.0.5 refused, password=...'), 'req-42');
    expect(out.status).toBe(500);
    expect(out.body.code).toBe('INTERNAL');
    expect(out.body.message).toContain('req-42');
    expect(out.body.message).not.toContain('10.0.0.5');
  });
});
