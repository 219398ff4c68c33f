/**
 * How an agent is run against a workspace. Two implementations slot in behind this:
 * `LocalAgentRuntime` (a child process on this host: development and tests) and, later,
 * a Kubernetes runtime (a Pod on this node mounting the workspace by hostPath).
 */
export interface AgentSpec {
  readonly workspaceId: string;
  /** Absolute path of the materialized workspace: the agent's working directory. */
  readonly workspaceDir: string;
  /** Program and arguments, not a shell line: nothing is interpolated. */
  readonly command: readonly string[];
  /** The only environment the agent gets besides PATH, HOME and LANG: no secrets of ours leak. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Where stdout and stderr go (appended). */
  readonly logPath: string;
}

export interface AgentExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stopped: boolean;
  readonly durationMs: number;
  /** Why the agent could not run at all (e.g. the program does not exist). */
  readonly error?: string;
}

export interface AgentHandle {
  /** Runtime-specific id (a pid, a Pod name) recorded on the workspace row. */
  readonly ref: string;
  /** Resolves once the agent has ended, however it ended. */
  wait(): Promise<AgentExit>;
  /** Ends the agent (gracefully, then by force) and resolves when it is gone. */
  stop(): Promise<AgentExit>;
}

/** What a manager that restarted knows about an agent an earlier process started. */
export interface AttachSpec {
  /** The handle's `ref`, as recorded on the workspace row. */
  readonly ref: string;
  readonly workspaceDir: string;
  /** When the agent must be gone by; `wait()` ends it then. */
  readonly deadlineAt: Date;
}

export interface AgentRuntime {
  readonly kind: 'local' | 'kubernetes';
  start(spec: AgentSpec): Promise<AgentHandle>;
  /**
   * A handle on an agent that a previous manager process started, if it still runs (a
   * local process whose working directory is that workspace; a Pod of that name), else
   * null. Lets a restarted manager wait for the agent instead of running it twice.
   */
  attach(spec: AttachSpec): Promise<AgentHandle | null>;
}
