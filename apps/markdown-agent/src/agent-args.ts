import { DEFAULT_MAX_BYTES } from './convert-tree';

export interface AgentArgs {
  /** The workspace: the first argument, or the working directory. */
  readonly directory: string;
  readonly maxBytes: number;
}

export type ParsedArgs = { readonly ok: true; readonly args: AgentArgs } | { readonly ok: false; readonly help: boolean; readonly error?: string };

export const USAGE = 'usage: markdown-agent [directory] [--max-bytes N]';

/** `[directory] [--max-bytes N | --max-bytes=N] [--help]`; the directory defaults to `cwd`. */
export function parseAgentArgs(argv: readonly string[], cwd: string): ParsedArgs {
  let directory: string | undefined;
  let maxBytes = DEFAULT_MAX_BYTES;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { ok: false, help: true };
    if (arg === '--max-bytes' || arg.startsWith('--max-bytes=')) {
      const value = arg === '--max-bytes' ? argv[++i] : arg.slice('--max-bytes='.length);
      if (value === undefined || !/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) === 0) {
        return { ok: false, help: false, error: `--max-bytes takes a positive whole number of bytes, not ${JSON.stringify(value ?? '')}` };
      }
      maxBytes = Number(value);
    } else if (arg.startsWith('-')) {
      return { ok: false, help: false, error: `unknown option: ${arg}` };
    } else if (directory === undefined) {
      directory = arg;
    } else {
      return { ok: false, help: false, error: `unexpected argument: ${arg}` };
    }
  }
  return { ok: true, args: { directory: directory ?? cwd, maxBytes } };
}
