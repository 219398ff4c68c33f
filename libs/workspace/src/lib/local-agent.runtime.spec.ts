import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalAgentRuntime } from './local-agent.runtime';

/** Real child processes in a real temporary workspace. */
describe('LocalAgentRuntime', () => {
  let ws: string;
  const runtime = new LocalAgentRuntime({ graceMs: 300, path: process.env['PATH'] });
  const node = process.execPath;

  beforeEach(async () => {
    ws = await mkdtemp(join(tmpdir(), 'agent-'));
  });
  afterEach(() => rm(ws, { recursive: true, force: true }));

  it('runs the command in the workspace and captures its output in the log', async () => {
    const handle = await runtime.start({
      workspaceId: 'w1',
      workspaceDir: ws,
      command: [node, '-e', "require('fs').writeFileSync('out.md', '# done'); console.log('converted'); console.error('warned')"],
      timeoutMs: 10_000,
      logPath: join(ws, 'agent.log'),
    });
    const exit = await handle.wait();
    expect(exit).toMatchObject({ code: 0, signal: null, timedOut: false, stopped: false });
    expect(await readFile(join(ws, 'out.md'), 'utf8')).toBe('# done');
    const log = await readFile(join(ws, 'agent.log'), 'utf8');
    expect(log).toContain('converted');
    expect(log).toContain('warned');
    expect((await stat(join(ws, 'agent.log'))).mode & 0o777).toBe(0o600);
  });

  it('gives the agent only the environment it is meant to have', async () => {
    process.env['DB_PASSWORD'] = 'must-not-leak';
    try {
      const handle = await runtime.start({
        workspaceId: 'w2',
        workspaceDir: ws,
        command: [node, '-e', "console.log(JSON.stringify({ db: process.env.DB_PASSWORD ?? null, task: process.env.TASK, home: process.env.HOME }))"],
        env: { TASK: 'convert' },
        timeoutMs: 10_000,
        logPath: join(ws, 'agent.log'),
      });
      await handle.wait();
      expect(JSON.parse(await readFile(join(ws, 'agent.log'), 'utf8'))).toEqual({ db: null, task: 'convert', home: ws });
    } finally {
      delete process.env['DB_PASSWORD'];
    }
  });

  it('ends the agent and its children at the deadline', async () => {
    const handle = await runtime.start({
      workspaceId: 'w3',
      workspaceDir: ws,
      // A child that ignores SIGTERM: the group is SIGKILLed after the grace period.
      command: [node, '-e', "const { spawn } = require('child_process'); spawn(process.execPath, ['-e', 'process.on(\"SIGTERM\", () => {}); setInterval(() => require(\"fs\").appendFileSync(\"tick\", \".\"), 50)'], { stdio: 'ignore' }); setInterval(() => {}, 1000)"],
      timeoutMs: 500,
      logPath: join(ws, 'agent.log'),
    });
    const exit = await handle.wait();
    expect(exit.timedOut).toBe(true);
    expect(exit.durationMs).toBeLessThan(5_000);
    // The grandchild is gone too: the tick file stops growing.
    await new Promise((r) => setTimeout(r, 700));
    const size = (await stat(join(ws, 'tick'))).size;
    await new Promise((r) => setTimeout(r, 300));
    expect((await stat(join(ws, 'tick'))).size).toBe(size);
  });

  it('stops on demand and reports a missing program as a failed exit', async () => {
    const long = await runtime.start({ workspaceId: 'w4', workspaceDir: ws, command: [node, '-e', 'setInterval(() => {}, 1000)'], timeoutMs: 60_000, logPath: join(ws, 'a.log') });
    const stopped = await long.stop();
    expect(stopped).toMatchObject({ stopped: true, timedOut: false, signal: 'SIGTERM' });

    const missing = await runtime.start({ workspaceId: 'w5', workspaceDir: ws, command: ['/nonexistent/agent'], timeoutMs: 1_000, logPath: join(ws, 'b.log') });
    const failed = await missing.wait();
    expect(failed.code).toBeNull();
    expect(failed.error).toMatch(/could not be started: .*ENOENT/);
    expect(await readFile(join(ws, 'b.log'), 'utf8')).toContain('agent-start-failed');
  });

  it('attaches, after a restart, to an agent an earlier manager started, and never to another process', async () => {
    const first = await runtime.start({ workspaceId: 'w6', workspaceDir: ws, command: [node, '-e', 'setInterval(() => {}, 1000)'], timeoutMs: 60_000, logPath: join(ws, 'c.log') });
    const later = new LocalAgentRuntime({ graceMs: 300 });
    expect(await later.attach({ ref: first.ref, workspaceDir: join(ws, 'elsewhere'), deadlineAt: new Date(Date.now() + 60_000) })).toBeNull();
    expect(await later.attach({ ref: 'pod:agent-1', workspaceDir: ws, deadlineAt: new Date(Date.now() + 60_000) })).toBeNull();

    const attached = await later.attach({ ref: first.ref, workspaceDir: ws, deadlineAt: new Date(Date.now() + 60_000) });
    expect(attached).not.toBeNull();
    const exit = await attached?.stop();
    expect(exit).toMatchObject({ stopped: true, code: null });
    expect((await first.wait()).signal).toBe('SIGTERM');
    expect(await later.attach({ ref: first.ref, workspaceDir: ws, deadlineAt: new Date() })).toBeNull();
  });

  it('ends an attached agent at its deadline', async () => {
    const first = await runtime.start({ workspaceId: 'w7', workspaceDir: ws, command: [node, '-e', 'setInterval(() => {}, 1000)'], timeoutMs: 60_000, logPath: join(ws, 'd.log') });
    const attached = await new LocalAgentRuntime({ graceMs: 300 }).attach({ ref: first.ref, workspaceDir: ws, deadlineAt: new Date(Date.now() + 300) });
    expect(await attached?.wait()).toMatchObject({ timedOut: true, stopped: false });
    expect((await first.wait()).signal).toBe('SIGTERM');
  });

  it('finds an agent whose pid was never recorded by the process group leader working in the workspace', async () => {
    const sub = join(ws, 'sub');
    await mkdir(sub);
    expect(await runtime.attach({ ref: '', workspaceDir: sub, deadlineAt: new Date(Date.now() + 60_000) })).toBeNull();
    const first = await runtime.start({ workspaceId: 'w8', workspaceDir: sub, command: [node, '-e', 'setInterval(() => {}, 1000)'], timeoutMs: 60_000, logPath: join(ws, 'e.log') });
    const found = await new LocalAgentRuntime({ graceMs: 300 }).attach({ ref: '', workspaceDir: sub, deadlineAt: new Date(Date.now() + 60_000) });
    expect(found?.ref).toBe(first.ref);
    await found?.stop();
    expect((await first.wait()).signal).toBe('SIGTERM');
  });
});
