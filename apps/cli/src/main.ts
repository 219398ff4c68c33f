import 'reflect-metadata';
import { loadConfig } from '@case-storage/config';
import { migrateCommand } from './commands/migrate.command';
import { mintTokenCommand } from './commands/mint-token.command';
import { seedCommand } from './commands/seed.command';
import { CliCommand } from './commands/cli-command';

const commands: readonly CliCommand[] = [migrateCommand, mintTokenCommand, seedCommand];

function usage(): string {
  return ['usage: case-storage <command> [options]', '', ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`${name ? `unknown command: ${name}\n\n` : ''}${usage()}\n`);
    return 2;
  }
  const config = loadConfig('tooling', process.env);
  return command.run(args, config);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
