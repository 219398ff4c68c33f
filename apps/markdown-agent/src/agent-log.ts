/** Why a file was left alone. */
export type SkipReason =
  | 'up-to-date'
  | 'too-large'
  | 'symlink'
  | 'not-a-regular-file'
  | 'hard-link'
  | 'output-not-a-regular-file';

export interface RunCounts {
  readonly converted: number;
  readonly skipped: number;
  readonly failed: number;
}

/** One line of the agent's log: the manager appends stdout to the workspace's log. */
export type AgentEvent =
  | { readonly level: 'info'; readonly event: 'converted'; readonly path: string; readonly output: string; readonly ms: number }
  | { readonly level: 'info'; readonly event: 'skipped'; readonly path: string; readonly reason: SkipReason; readonly size?: number; readonly maxBytes?: number }
  | { readonly level: 'error'; readonly event: 'failed'; readonly path: string; readonly error: string }
  | ({ readonly level: 'info'; readonly event: 'summary'; readonly ms: number } & RunCounts)
  | { readonly level: 'fatal'; readonly event: 'fatal'; readonly error: string }
  | { readonly level: 'warn'; readonly event: 'library'; readonly message: string };

export type AgentLog = (event: AgentEvent) => void;

/** A log writing one JSON object per line. */
export function jsonLinesLog(write: (line: string) => void): AgentLog {
  return (event) => write(`${JSON.stringify(event)}\n`);
}

/** An error's message; not `instanceof Error`, which fails for errors from another realm (pdfjs under Jest). */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  return String(error);
}
