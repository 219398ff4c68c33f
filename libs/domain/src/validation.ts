import { z } from 'zod';
import { RequestError, RequestErrorCode } from './errors';

/** Parses a JSON body; a failure is a 400 VALIDATION_FAILED naming every bad field. */
export function parseBody<S extends z.ZodTypeAny>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    throw new RequestError(
      RequestErrorCode.ValidationFailed,
      `The request body is invalid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}.`,
      { issues },
    );
  }
  return result.data;
}
