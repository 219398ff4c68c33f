import { assertJobHandlers, UPLOAD_MAINTENANCE_QUEUE, UploadJob } from './queues';

describe('assertJobHandlers', () => {
  it('accepts exactly one handler per job', () => {
    expect(() => assertJobHandlers(UPLOAD_MAINTENANCE_QUEUE, [UploadJob.VerifyChecksum, UploadJob.SweepExpired])).not.toThrow();
  });

  it('names a job without a handler, one handled twice, and one nobody declared', () => {
    expect(() => assertJobHandlers(UPLOAD_MAINTENANCE_QUEUE, [UploadJob.SweepExpired])).toThrow(/no handler for verify-upload-checksum/);
    expect(() => assertJobHandlers(UPLOAD_MAINTENANCE_QUEUE, [UploadJob.SweepExpired, UploadJob.VerifyChecksum, UploadJob.SweepExpired])).toThrow(
      /more than one handler for sweep-expired-uploads/,
    );
    expect(() => assertJobHandlers(UPLOAD_MAINTENANCE_QUEUE, [...Object.values(UploadJob), 'surprise'])).toThrow(/undeclared jobs surprise/);
    expect(() => assertJobHandlers('nope', [])).toThrow(/not declared/);
  });
});
