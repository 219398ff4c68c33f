import { CliCommand } from './cli-command';

// Placeholder until the command lands; fails loudly rather than pretending to work.
export const mintTokenCommand: CliCommand = {
  name: 'mint-token',
  summary: 'not implemented yet',
  async run() {
    process.stderr.write('mint-token: not implemented yet\n');
    return 1;
  },
};
