import { assertJobHandlers, UPLOAD_MAINTENANCE_QUEUE, UploadJob, WORKSPACE_NODE_QUEUE, WorkspaceJob, workspaceJobId, workspaceNodeQueue } from './queues';

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

describe('workspace node queues', () => {
  it('name one queue per node and collapse duplicate jobs of a workspace', () => {
    expect(workspaceNodeQueue('ssd-node-1')).toBe('workspace-node.ssd-node-1');
    expect(workspaceJobId(WorkspaceJob.Run, 'w1')).toBe('w1');
    expect(workspaceJobId(WorkspaceJob.Sync, 'w1')).toBe('sync-w1');
    expect(workspaceJobId(WorkspaceJob.Remove, 'w1')).toBe('remove-w1');
  });

  it('require a handler for every workspace job', () => {
    expect(() => assertJobHandlers(WORKSPACE_NODE_QUEUE, [WorkspaceJob.Run, WorkspaceJob.Sync, WorkspaceJob.Remove])).toThrow(/no handler for cleanup-workspaces/);
  });
});
