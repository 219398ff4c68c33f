export * from './kube-config.factory';
