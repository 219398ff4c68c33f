import { spawn } from 'node:child_process';
import { open, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentExit, AgentHandle, AgentRuntime, AgentSpec, AttachSpec } from './agent-runtime';
import { isInside } from './workspace-paths';

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
      child.once('exit', (code, signal) => {
        // Whatever the agent left running in its group must not write after the sync.
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        finish(code, signal);
      });
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

  /**
   * An agent process a previous manager started (it runs detached, so it outlived that
   * manager). Found by pid, and only if its working directory is still the workspace, so a
   * recycled pid of another process is never signalled. `wait()` polls (a process that is
   * not our child cannot be waited on) and ends the group at the deadline.
   */
  async attach(spec: AttachSpec): Promise<AgentHandle | null> {
    const match = /^pid:(\d+)$/.exec(spec.ref);
    // No pid recorded (the manager died right after spawning): the group leader working in the workspace.
    const pid = match ? Number(match[1]) : spec.ref === '' ? await groupLeaderIn(spec.workspaceDir) : null;
    if (pid === null) return null;
    const alive = async (): Promise<boolean> => {
      try {
        return isInside(spec.workspaceDir, await readlink(join('/proc', String(pid), 'cwd')));
      } catch {
        return false;
      }
    };
    if (!(await alive())) return null;
    const started = Date.now();
    const graceMs = this.opts.graceMs ?? GRACE_MS;
    let stopped = false;
    let timedOut = false;
    const end = async (): Promise<void> => {
      signalGroup(pid, 'SIGTERM');
      for (const until = Date.now() + graceMs; Date.now() < until && (await alive()); ) await sleep(100);
      if (await alive()) signalGroup(pid, 'SIGKILL');
    };
    const exited = (async (): Promise<AgentExit> => {
      while (await alive()) {
        if (!stopped && Date.now() >= spec.deadlineAt.getTime()) {
          timedOut = true;
          await end();
        }
        await sleep(250);
      }
      // Not our child: its exit status is not ours to read.
      return { code: null, signal: null, timedOut, stopped, durationMs: Date.now() - started };
    })();
    return {
      ref: `pid:${pid}`,
      wait: () => exited,
      stop: async () => {
        stopped = true;
        await end();
        return exited;
      },
    };
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** The lowest-numbered process group leader whose working directory is inside `dir`, if any. */
async function groupLeaderIn(dir: string): Promise<number | null> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    try {
      if (!isInside(dir, await readlink(join('/proc', String(pid), 'cwd')))) continue;
      // Field 5 of /proc/<pid>/stat is the process group (after the parenthesised name).
      const stat = await readFile(join('/proc', String(pid), 'stat'), 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgid === pid) return pid;
    } catch {
      // gone, or not ours to read
    }
  }
  return null;
}
