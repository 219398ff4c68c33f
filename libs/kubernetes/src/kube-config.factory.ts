import { KubeConfig } from '@kubernetes/client-node';

/**
 * A kubeconfig file when one is given (developers, tests against the local control
 * plane), otherwise the Pod's own service account (in-cluster).
 */
export function createKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) {
    kc.loadFromFile(kubeconfigPath);
  } else {
    kc.loadFromCluster();
  }
  return kc;
}
