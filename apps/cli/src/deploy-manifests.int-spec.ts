import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../../..');
const TIMEOUT_MS = 240_000;

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a script from the repo root, collecting stdout and stderr together. */
function run(script: string): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn('bash', [script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

/**
 * The deployment files (docker/, charts/, k8s/) checked against the real local
 * kube-apiserver: lint, render, the gateway's routing, a server-side dry-run of every
 * object and a live test of the agent admission policy (see scripts/check-deploy.sh).
 */
describe('deployment manifests', () => {
  it(
    'pass scripts/check-deploy.sh',
    async () => {
      const { code, output } = await run('scripts/check-deploy.sh');
      // On failure the script's own report is the useful message.
      if (code !== 0) throw new Error(`check-deploy.sh exited ${code}:\n${output}`);
      expect(output).toContain('check-deploy: all checks passed');
      expect(output).toMatch(/PASS server-side dry-run \(full values\)/);
      expect(output).toMatch(/PASS agent admission policy/);
    },
    TIMEOUT_MS,
  );
});
