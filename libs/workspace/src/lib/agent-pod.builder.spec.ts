import { randomUUID } from 'node:crypto';
import { AgentPodInput, buildAgentPod } from './agent-pod.builder';

const ws = randomUUID();
const input: AgentPodInput = {
  namespace: 'case-storage-agents',
  workspaceId: ws,
  tenantId: randomUUID(),
  caseId: randomUUID(),
  nodeName: 'case-storage-node-1',
  hostRoot: '/var/ai-workspaces',
  hostPath: `/var/ai-workspaces/t/c/${ws}`,
  image: 'ghcr.io/example/openhands:1.0',
  command: ['openhands', '--task', 'convert'],
  env: { TASK: 'convert' },
  runAsUser: 10001,
  deadlineSeconds: 3600,
  resources: { cpu: '1', memory: '2Gi' },
};

function fail(message: string): never {
  throw new Error(message);
}

describe('buildAgentPod', () => {
  const pod = buildAgentPod(input);
  const spec = pod.spec ?? fail('the builder returned a Pod without a spec');
  const container = spec.containers[0];

  it('runs on this node, once, with a deadline and a deterministic name', () => {
    expect(pod.metadata?.name).toBe(`agent-${ws}`);
    expect(spec).toMatchObject({ nodeName: 'case-storage-node-1', restartPolicy: 'Never', activeDeadlineSeconds: 3600 });
  });

  it('mounts only its own workspace directory, as an existing Directory', () => {
    expect(spec.volumes?.filter((v) => v.hostPath)).toEqual([{ name: 'workspace', hostPath: { path: input.hostPath, type: 'Directory' } }]);
    expect(container.workingDir).toBe('/workspace');
  });

  it('is locked down as the admission policy demands', () => {
    expect(spec.automountServiceAccountToken).toBe(false);
    expect([spec.hostNetwork, spec.hostPID, spec.hostIPC]).toEqual([false, false, false]);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.securityContext?.capabilities?.add).toBeUndefined();
    expect(container.ports).toBeUndefined();
  });

  it('carries tenant, case and workspace labels and equal requests and limits', () => {
    expect(pod.metadata?.labels).toMatchObject({
      'case-storage.io/tenant': input.tenantId,
      'case-storage.io/case': input.caseId,
      'case-storage.io/workspace': ws,
    });
    expect(container.resources?.requests).toEqual(container.resources?.limits);
  });

  it.each([
    ['the root itself', '/var/ai-workspaces'],
    ['a sibling of the root', '/var/ai-workspaces-evil/x'],
    ['an escape', '/var/ai-workspaces/../../etc'],
    ['a relative path', 'var/ai-workspaces/x'],
    ['a path with .. that stays inside', '/var/ai-workspaces/a/../b'],
    ['a path with //', '/var/ai-workspaces//b'],
  ])('refuses %s as the workspace', (_what, hostPath) => {
    expect(() => buildAgentPod({ ...input, hostPath })).toThrow(/not a directory below/);
  });

  it('refuses to run an agent as root', () => {
    expect(() => buildAgentPod({ ...input, runAsUser: 0 })).toThrow(/never run as root/);
  });
});
