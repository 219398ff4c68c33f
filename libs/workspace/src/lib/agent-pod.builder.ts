import type { V1Pod } from '@kubernetes/client-node';
import { posix } from 'node:path';
import { isInside } from './workspace-paths';

export const AGENT_LABELS = {
  app: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  tenant: 'case-storage.io/tenant',
  caseId: 'case-storage.io/case',
  workspace: 'case-storage.io/workspace',
} as const;

export interface AgentPodInput {
  readonly namespace: string;
  readonly workspaceId: string;
  readonly tenantId: string;
  readonly caseId: string;
  /** The node this manager runs on: the Pod goes where its workspace is. */
  readonly nodeName: string;
  /** The root every workspace lives under on the node (`/var/ai-workspaces`). */
  readonly hostRoot: string;
  /** This workspace's directory on the node, below `hostRoot`. */
  readonly hostPath: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly runAsUser: number;
  readonly deadlineSeconds: number;
  readonly resources: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage?: string };
}

/** Where the workspace appears inside the agent's container. */
export const AGENT_MOUNT_PATH = '/workspace';

/**
 * The agent Pod for one workspace (DESIGN §5): only that workspace's directory by
 * hostPath, non-root, no privilege escalation, all capabilities dropped, RuntimeDefault
 * seccomp, no service account token, requests = limits, an active deadline, and labels
 * for tenant, case and workspace. Pure, so the rules are tested without a cluster; the
 * agent namespace's admission policy enforces the same rules on the server.
 */
export function buildAgentPod(input: AgentPodInput): V1Pod {
  const normalised = posix.normalize(input.hostPath) === input.hostPath;
  if (!input.hostPath.startsWith('/') || !normalised || !isInside(input.hostRoot, input.hostPath) || input.hostPath === input.hostRoot) {
    throw new Error(`workspace ${input.hostPath} is not a directory below ${input.hostRoot}`);
  }
  if (input.runAsUser <= 0) throw new Error('agents never run as root');
  const resources = {
    cpu: input.resources.cpu,
    memory: input.resources.memory,
    ...(input.resources.ephemeralStorage ? { 'ephemeral-storage': input.resources.ephemeralStorage } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      // Deterministic: creating it twice is AlreadyExists, never a second agent.
      name: `agent-${input.workspaceId}`,
      namespace: input.namespace,
      labels: {
        [AGENT_LABELS.app]: 'case-storage-agent',
        [AGENT_LABELS.component]: 'agent',
        [AGENT_LABELS.tenant]: input.tenantId,
        [AGENT_LABELS.caseId]: input.caseId,
        [AGENT_LABELS.workspace]: input.workspaceId,
      },
    },
    spec: {
      nodeName: input.nodeName,
      restartPolicy: 'Never',
      activeDeadlineSeconds: input.deadlineSeconds,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: input.runAsUser,
        runAsGroup: input.runAsUser,
        fsGroup: input.runAsUser,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'agent',
          image: input.image,
          command: [...input.command],
          workingDir: AGENT_MOUNT_PATH,
          env: Object.entries(input.env ?? {}).map(([name, value]) => ({ name, value })),
          resources: { requests: resources, limits: resources },
          securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          volumeMounts: [
            { name: 'workspace', mountPath: AGENT_MOUNT_PATH },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'workspace', hostPath: { path: input.hostPath, type: 'Directory' } },
        { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      ],
    },
  };
}
