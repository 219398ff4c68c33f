import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { AgentExit, AgentHandle, AgentRuntime, AgentSpec } from './agent-runtime';

/** How long a SIGTERM'd agent gets before SIGKILL. */
const GRACE_MS = 5_000;

/**
 * Runs the agent as a child process in its own process group, with the workspace as its
 * working directory, a minimal environment, its output appended to the workspace's log,
 * and a deadline after which the whole group is ended (SIGTERM, then SIGKILL).
 */
export class LocalAgentRuntime implements AgentRuntime {
  readonly kind = 'local' as const;

  constructor(private readonly opts: { graceMs?: number; path?: string } = {}) {}

  async start(spec: AgentSpec): Promise<AgentHandle> {
    const [program, ...args] = spec.command;
    if (!program) throw new Error('the agent command is empty');
    const log = await open(spec.logPath, 'a', 0o600);
    const started = Date.now();
    const child = spawn(program, args, {
      cwd: spec.workspaceDir,
      env: { PATH: this.opts.path ?? '/usr/local/bin:/usr/bin:/bin', HOME: spec.workspaceDir, LANG: 'C.UTF-8', ...spec.env },
      stdio: ['ignore', log.fd, log.fd],
      detached: true, // its own process group: a timeout ends the agent's children too
    });
    const graceMs = this.opts.graceMs ?? GRACE_MS;
    let timedOut = false;
    let stopped = false;

    const exited = new Promise<AgentExit>((resolve) => {
      let done = false;
      const finish = (code: number | null, signal: string | null, error?: string) => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        void log.close().catch(() => undefined);
        resolve({ code, signal, timedOut, stopped, durationMs: Date.now() - started, ...(error ? { error } : {}) });
      };
      child.once('exit', (code, signal) => finish(code, signal));
      // e.g. ENOENT: the program does not exist. Said in the agent's log too, where a user looks first.
      child.once('error', (err) => {
        const message = `the agent could not be started: ${err.message}`;
        void log.appendFile(`${JSON.stringify({ level: 'error', event: 'agent-start-failed', message, command: spec.command })}\n`).finally(() => finish(null, null, message));
      });
    });

    const endGroup = () => {
      const group = child.pid;
      if (group === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-group, 'SIGTERM');
      } catch {
        return;
      }
      setTimeout(() => {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // already gone
        }
      }, graceMs).unref();
    };

    const deadline = setTimeout(() => {
      timedOut = true;
      endGroup();
    }, spec.timeoutMs);
    deadline.unref();

    return {
      ref: `pid:${child.pid ?? 'none'}`,
      wait: () => exited,
      stop: () => {
        stopped = true;
        endGroup();
        return exited;
      },
    };
  }
}
