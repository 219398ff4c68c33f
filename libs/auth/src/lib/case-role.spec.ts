import { caseRoleSatisfies } from './case-role';

describe('caseRoleSatisfies', () => {
  it.each([
    ['owner', 'owner', true],
    ['owner', 'editor', true],
    ['owner', 'viewer', true],
    ['editor', 'owner', false],
    ['editor', 'editor', true],
    ['editor', 'viewer', true],
    ['viewer', 'owner', false],
    ['viewer', 'editor', false],
    ['viewer', 'viewer', true],
  ] as const)('%s satisfies %s: %s', (held, minimum, expected) => {
    expect(caseRoleSatisfies(held, minimum)).toBe(expected);
  });
});
