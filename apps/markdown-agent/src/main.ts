import { resolve } from 'node:path';
import { format } from 'node:util';
import { parseAgentArgs, USAGE } from './agent-args';
import { errorMessage, jsonLinesLog } from './agent-log';
import { convertTree } from './convert-tree';

/** Exit codes: 0 the walk finished (files that failed are in the log), 1 fatal, 2 usage. */
async function main(argv: string[]): Promise<number> {
  const log = jsonLinesLog((line) => process.stdout.write(line));
  // Libraries (pdfjs) print warnings with console.log: wrapped, every stdout line stays JSON.
  const library = (...args: unknown[]) => log({ level: 'warn', event: 'library', message: format(...args) });
  console.log = console.info = console.warn = console.error = library;

  const parsed = parseAgentArgs(argv, process.cwd());
  if (!parsed.ok) {
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    log({ level: 'fatal', event: 'fatal', error: `${parsed.error ?? 'bad arguments'}; ${USAGE}` });
    return 2;
  }
  try {
    await convertTree(resolve(parsed.args.directory), { maxBytes: parsed.args.maxBytes, log });
    return 0;
  } catch (error) {
    log({ level: 'fatal', event: 'fatal', error: errorMessage(error) });
    return 1;
  }
}

// Exit explicitly: nothing a library left pending may keep the agent running past its work.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stdout.write(`${JSON.stringify({ level: 'fatal', event: 'fatal', error: errorMessage(error) })}\n`);
    process.exit(1);
  },
);
