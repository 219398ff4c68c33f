import { randomUUID } from 'node:crypto';
import { isInside, logicalPathOf, resolveInWorkspace, workspaceDir } from './workspace-paths';

const ids = { tenantId: randomUUID(), caseId: randomUUID(), workspaceId: randomUUID() };

describe('workspaceDir', () => {
  it('nests tenant, case and workspace under the root', () => {
    expect(workspaceDir('/var/ai-workspaces', ids)).toBe(`/var/ai-workspaces/${ids.tenantId}/${ids.caseId}/${ids.workspaceId}`);
  });

  it('refuses ids that are not UUIDs, so none can carry a separator or ..', () => {
    expect(() => workspaceDir('/var/ai-workspaces', { ...ids, caseId: '../../etc' })).toThrow(/caseId must be a UUID/);
    expect(() => workspaceDir('/var/ai-workspaces', { ...ids, tenantId: 'a/b' })).toThrow(/tenantId must be a UUID/);
  });
});

describe('resolveInWorkspace', () => {
  const ws = '/var/ai-workspaces/t/c/w';

  it('maps a logical path below the workspace', () => {
    expect(resolveInWorkspace(ws, 'Pleadings/motion.pdf')).toBe(`${ws}/Pleadings/motion.pdf`);
  });

  it.each(['../escape.txt', 'a/../../b', '/etc/passwd', 'a\\b', 'a\u0000b', '', 'a//b', 'Cafe\u0301.pdf'])('refuses %j', (path) => {
    expect(() => resolveInWorkspace(ws, path)).toThrow(/refusing path/);
  });
});

describe('isInside / logicalPathOf', () => {
  it('tells inside from a sibling with a common prefix', () => {
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
  });

  it('gives the /-separated path relative to the workspace', () => {
    expect(logicalPathOf('/w', '/w/a/b.txt')).toBe('a/b.txt');
  });
});
