import { Inject, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import {
  assertJobHandlers,
  SweepExpiredUploadsPayload,
  UPLOAD_MAINTENANCE_QUEUE,
  UploadJob,
  UploadJobPayloads,
} from '@case-storage/queue-contracts';
import { UploadMaintenanceService } from './upload-maintenance.service';

const SWEEP_SCHEDULER_ID = 'sweep-expired-uploads';

/** Thin: routes each job of the upload-maintenance queue to its one handler. */
@Processor(UPLOAD_MAINTENANCE_QUEUE)
export class UploadMaintenanceProcessor extends WorkerHost implements OnModuleInit, OnApplicationBootstrap {
  /** The jobs `process` routes; checked against the queue's contract at start-up. */
  static readonly handledJobs: readonly UploadJob[] = [UploadJob.SweepExpired, UploadJob.VerifyChecksum];

  private readonly logger = new Logger(UploadMaintenanceProcessor.name);

  constructor(
    private readonly maintenance: UploadMaintenanceService,
    @InjectQueue(UPLOAD_MAINTENANCE_QUEUE) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onModuleInit(): void {
    assertJobHandlers(UPLOAD_MAINTENANCE_QUEUE, UploadMaintenanceProcessor.handledJobs);
  }

  /**
   * One scheduler however many replicas start: BullMQ upserts it by id. In the background,
   * so that a Redis outage at boot delays the sweeper instead of keeping the API down.
   */
  onApplicationBootstrap(): void {
    const data: SweepExpiredUploadsPayload = { batchSize: 500 };
    this.queue
      .upsertJobScheduler(
        SWEEP_SCHEDULER_ID,
        { every: this.config.uploads.sweepIntervalSeconds * 1000 },
        { name: UploadJob.SweepExpired, data, opts: { removeOnComplete: 100, removeOnFail: 100 } },
      )
      .then(
        () => this.logger.log({ everySeconds: this.config.uploads.sweepIntervalSeconds }, 'expired-upload sweeper scheduled'),
        (err: unknown) => this.logger.error({ err }, 'could not schedule the expired-upload sweeper'),
      );
  }

  async process(job: Job): Promise<unknown> {
    const name = job.name as UploadJob;
    switch (name) {
      case UploadJob.SweepExpired:
        return this.maintenance.sweepExpired((job.data as UploadJobPayloads[UploadJob.SweepExpired]).batchSize);
      case UploadJob.VerifyChecksum:
        return this.maintenance.verifyChecksum(job.data as UploadJobPayloads[UploadJob.VerifyChecksum]);
      default: {
        const unknown: never = name;
        this.logger.error({ job: unknown }, 'job with no handler');
        throw new Error(`no handler for job ${String(unknown)}`);
      }
    }
  }
}
