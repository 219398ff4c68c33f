import { parseArgs } from 'node:util';
import { pendingMigrations, runMigrations } from '@case-storage/persistence';
import { CliCommand } from './cli-command';

const USAGE = `usage: case-storage migrate [--check]

Applies pending database migrations as the owner role (DB_MIGRATION_USER) and prints each
one applied. Safe to run concurrently (an advisory lock serialises runs) and repeatedly.
  --check   apply nothing; list pending migrations and exit 1 if there are any
`;

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply pending database migrations as the owner role',
  async run(args, config) {
    let values: { check?: boolean; help?: boolean };
    try {
      ({ values } = parseArgs({
        args,
        options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      process.stderr.write(`migrate: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const target = `${config.database.migrationUser}@${config.database.host}:${config.database.port}/${config.database.name}`;

    if (values.check) {
      const pending = await pendingMigrations(config);
      for (const name of pending) process.stdout.write(`pending  ${name}\n`);
      process.stdout.write(pending.length ? `${pending.length} pending migration(s) on ${target}\n` : `schema up to date on ${target}\n`);
      return pending.length ? 1 : 0;
    }

    const applied = await runMigrations(config);
    for (const name of applied) process.stdout.write(`applied  ${name}\n`);
    process.stdout.write(
      applied.length ? `applied ${applied.length} migration(s) on ${target}\n` : `schema up to date on ${target}, nothing applied\n`,
    );
    return 0;
  },
};
