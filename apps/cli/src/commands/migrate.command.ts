import { CliCommand } from './cli-command';

// Placeholder until the command lands; fails loudly rather than pretending to work.
export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'not implemented yet',
  async run() {
    process.stderr.write('migrate: not implemented yet\n');
    return 1;
  },
};
