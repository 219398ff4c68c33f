import { RunningApp, startBuiltApp, waitForStatus } from './processes';

/**
 * What every deployable app must do, checked against its real production bundle and the
 * real services: boot with validated config, report health, answer errors in our JSON
 * shape, refuse unauthenticated calls, log JSON without secrets, and shut down cleanly.
 */
export function describeAppBoot(name: string, serviceLabel: string, opts: { protectedPath?: string } = {}): void {
  describe(`${name} process`, () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startBuiltApp(name);
      await waitForStatus(app, '/health/ready');
    }, 40_000);

    afterAll(async () => {
      await app?.stop('SIGKILL');
    });

    it('answers liveness and readiness with every dependency up', async () => {
      const live = await fetch(`${app.url}/health/live`);
      expect(await live.json()).toEqual({ status: 'ok', service: serviceLabel });
      const ready = (await (await fetch(`${app.url}/health/ready`)).json()) as { status: string; info: Record<string, { status: string }> };
      expect(ready.status).toBe('ok');
      expect(Object.keys(ready.info).sort()).toEqual(['objectStorage', 'postgres', 'redis']);
    });

    const protectedPath = opts.protectedPath;
    // Unmatched routes answer 404 before any guard, so this needs one of the app's real routes.
    if (protectedPath) {
      it('refuses a call without a token in the common error shape', async () => {
        const res = await fetch(`${app.url}${protectedPath}`, {
          headers: { 'x-request-id': 'boot-test-1' },
        });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await res.json()).toEqual({ code: 'MISSING_TOKEN', message: expect.any(String), requestId: 'boot-test-1' });
      });
    }

    it('writes structured JSON logs that never contain the bearer token', async () => {
      const secretToken = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.bm90LWEtcmVhbC1zaWduYXR1cmU';
      await fetch(`${app.url}/api/anything`, { headers: { authorization: `Bearer ${secretToken}` } });
      await new Promise((r) => setTimeout(r, 300));
      const lines = app.output().trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(app.output()).not.toContain(secretToken);
      expect(app.output()).toContain(`"service":"${serviceLabel}"`);
    });
  });

  describe(`${name} lifecycle`, () => {
    it('drains and exits on SIGTERM without hitting the shutdown deadline', async () => {
      const app = await startBuiltApp(name, { SHUTDOWN_TIMEOUT_MS: '5000' });
      await waitForStatus(app, '/health/ready');
      const started = Date.now();
      // Nest closes every module, then re-raises the signal: a clean exit "by SIGTERM".
      expect(await app.stop('SIGTERM')).toBe('SIGTERM');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(app.output()).not.toContain('shutdown took longer');
    }, 40_000);

    it('refuses to start on invalid configuration, naming every problem', async () => {
      const app = await startBuiltApp(name, { DB_PORT: 'not-a-port', REDIS_URL: 'nope' });
      expect(await app.exited()).toBe(1);
      expect(app.output()).toMatch(/DB_PORT/);
      expect(app.output()).toMatch(/REDIS_URL/);
    }, 20_000);

    it('refuses to start, saying why, when PostgreSQL is unreachable', async () => {
      // Port 9 (discard) on loopback: nothing listens, connections are refused at once.
      const app = await startBuiltApp(name, { DB_PORT: '9' });
      expect(await app.exited()).toBe(1);
      expect(app.output()).toContain('cannot connect to PostgreSQL at 127.0.0.1:9');
    }, 20_000);

    it.each([
      ['redis', { REDIS_URL: 'redis://127.0.0.1:9/0' }],
      ['objectStorage', { S3_ENDPOINT: 'http://127.0.0.1:9' }],
    ])(
      'stays alive but reports not ready while %s is unreachable',
      async (dependency, env) => {
        const app = await startBuiltApp(name, env);
        try {
          const res = await waitForStatus(app, '/health/ready', 503);
          const body = (await res.json()) as { error: Record<string, { status: string }> };
          expect(Object.keys(body.error)).toEqual([dependency]);
          expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
        } finally {
          await app.stop('SIGKILL');
        }
      },
      40_000,
    );
  });
}
