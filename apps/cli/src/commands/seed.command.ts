import { CliCommand } from './cli-command';

// Placeholder until the command lands; fails loudly rather than pretending to work.
export const seedCommand: CliCommand = {
  name: 'seed',
  summary: 'not implemented yet',
  async run() {
    process.stderr.write('seed: not implemented yet\n');
    return 1;
  },
};
