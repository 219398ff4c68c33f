import { parseAgentArgs } from './agent-args';
import { DEFAULT_MAX_BYTES } from './convert-tree';

describe('parseAgentArgs', () => {
  it('defaults to the working directory and 100 MiB', () => {
    expect(parseAgentArgs([], '/ws')).toEqual({ ok: true, args: { directory: '/ws', maxBytes: DEFAULT_MAX_BYTES } });
    expect(DEFAULT_MAX_BYTES).toBe(104_857_600);
  });

  it('takes the directory as the first argument and --max-bytes in either form', () => {
    expect(parseAgentArgs(['/other', '--max-bytes', '2048'], '/ws')).toEqual({ ok: true, args: { directory: '/other', maxBytes: 2048 } });
    expect(parseAgentArgs(['--max-bytes=10', 'dir'], '/ws')).toEqual({ ok: true, args: { directory: 'dir', maxBytes: 10 } });
  });

  it.each([[['--max-bytes']], [['--max-bytes', '0']], [['--max-bytes', '-5']], [['--max-bytes=1e9']], [['--max-bytes', '99999999999999999999']]])('refuses a bad limit: %j', (argv) => {
    expect(parseAgentArgs(argv, '/ws')).toMatchObject({ ok: false, help: false, error: expect.stringContaining('--max-bytes') });
  });

  it('refuses unknown options and a second directory, and recognizes --help', () => {
    expect(parseAgentArgs(['--force'], '/ws')).toEqual({ ok: false, help: false, error: 'unknown option: --force' });
    expect(parseAgentArgs(['a', 'b'], '/ws')).toEqual({ ok: false, help: false, error: 'unexpected argument: b' });
    expect(parseAgentArgs(['dir', '--help'], '/ws')).toEqual({ ok: false, help: true });
  });
});
