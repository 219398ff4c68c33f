/**
 * Smoke test of the local control plane that scripts/services/kube.sh starts (a real
 * etcd + kube-apiserver + kwok): the client we ship can create and read back objects.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { createKubeConfig } from './kube-config.factory';

const kubeconfig = process.env['KUBECONFIG'] ?? join(__dirname, '../../../.local/kube/kubeconfig');

describe('local Kubernetes control plane', () => {
  const core = createKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
  const name = `smoke-${randomUUID().slice(0, 8)}`;

  afterAll(async () => {
    await core.deleteNamespace({ name }).catch(() => undefined);
  });

  it('creates a Namespace and reads it back', async () => {
    const created = await core.createNamespace({ body: { metadata: { name, labels: { 'case-storage.io/test': 'smoke' } } } });
    expect(created.metadata?.uid).toBeTruthy();

    const read = await core.readNamespace({ name });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(read.metadata?.labels?.['case-storage.io/test']).toBe('smoke');
  });

  it('serves the fake SSD node that kwok plays', async () => {
    const nodes = await core.listNode({ labelSelector: 'case-storage.io/ssd=true' });
    expect(nodes.items.length).toBeGreaterThanOrEqual(1);
    const ready = nodes.items[0].status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
  });
});
