import { inspect } from 'node:util';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('boots a development checkout with local defaults', () => {
    const config = loadConfig('upload-api', {});
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3001 });
    expect(config.database.port).toBe(55432);
    expect(config.s3.endpoint).toBe('http://127.0.0.1:57070');
    expect(config.auth.jwtSecret?.reveal()).toBe(DEV_JWT_SECRET);
  });

  it('gives each service its own default port and honours PORT', () => {
    expect(loadConfig('manifest-service', {}).http.port).toBe(3002);
    expect(loadConfig('workspace-manager', { PORT: '9000' }).http.port).toBe(9000);
  });

  it('never prints secrets, however the config is logged', () => {
    const config = loadConfig('upload-api', { DB_PASSWORD: 'hunter2-database' });
    expect(JSON.stringify(config)).not.toContain('hunter2-database');
    expect(inspect(config, { depth: 5 })).not.toContain('hunter2-database');
    expect(config.database.password.reveal()).toBe('hunter2-database');
  });

  it('lists every problem at once, naming the variable', () => {
    const attempt = () => loadConfig('upload-api', { DB_PORT: 'abc', REDIS_URL: 'not a url', LOG_LEVEL: 'chatty' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/DB_PORT/);
      expect(problems).toMatch(/REDIS_URL/);
      expect(problems).toMatch(/LOG_LEVEL/);
    }
  });

  it('requires a key source in production and refuses shared secrets there', () => {
    expect(() => loadConfig('upload-api', { NODE_ENV: 'production', S3_ENDPOINT: 'https://s3.example.com', DB_PASSWORD: 'x', DB_MIGRATION_PASSWORD: 'y' })).toThrow(
      /AUTH_JWT_SECRET or AUTH_JWKS_URL/,
    );
    expect(() => loadConfig('upload-api', { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(40), DB_PASSWORD: 'x', DB_MIGRATION_PASSWORD: 'y' })).toThrow(
      /use AUTH_JWKS_URL in production/,
    );
    const prod = loadConfig('upload-api', {
      NODE_ENV: 'production',
      AUTH_JWKS_URL: 'https://idp.example.com/jwks.json',
      DB_PASSWORD: 'from-a-secret',
      DB_MIGRATION_PASSWORD: 'from-another-secret',
    });
    expect(prod.auth.jwtSecret).toBeUndefined();
    expect(prod.s3.accessKeyId).toBeUndefined();
  });

  it('has no database password defaults in production', () => {
    expect(() => loadConfig('upload-api', { NODE_ENV: 'production', AUTH_JWKS_URL: 'https://idp.example.com/jwks.json' })).toThrow(/DB_PASSWORD/);
  });

  it('rejects a short signing secret', () => {
    expect(() => loadConfig('upload-api', { AUTH_JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig('upload-api', { DB_HOST: '' }).database.host).toBe('127.0.0.1');
  });
});

describe('loadConfig: workspaces', () => {
  it('defaults to the bundled agent, the host root and a node name', () => {
    const { workspaces } = loadConfig('workspace-manager', {});
    expect(workspaces.agentCommand).toBeNull();
    expect(workspaces.root).toBe('/var/ai-workspaces');
    expect(workspaces.nodeName).toMatch(/^[a-z0-9]/);
  });

  it('parses the agent command as an argv array', () => {
    const config = loadConfig('workspace-manager', { WORKSPACE_AGENT_COMMAND: '["openhands","--headless"]', NODE_NAME: 'ssd-1' });
    expect(config.workspaces.agentCommand).toEqual(['openhands', '--headless']);
    expect(config.workspaces.nodeName).toBe('ssd-1');
  });

  it.each(['openhands --headless', '[]', '[1]', '[""]', '{"a":1}'])('refuses the agent command %s', (command) => {
    expect(() => loadConfig('workspace-manager', { WORKSPACE_AGENT_COMMAND: command })).toThrow(/WORKSPACE_AGENT_COMMAND: must be a JSON array/);
  });

  it('refuses a relative root, a bad node name and a TTL above its maximum', () => {
    expect(() => loadConfig('workspace-manager', { WORKSPACE_ROOT: 'ai-workspaces', NODE_NAME: 'Node_1' })).toThrow(
      /NODE_NAME: must be a DNS-1123 name[\s\S]*WORKSPACE_ROOT: must be an absolute path|WORKSPACE_ROOT: must be an absolute path[\s\S]*NODE_NAME: must be a DNS-1123 name/,
    );
    expect(() => loadConfig('workspace-manager', { WORKSPACE_TTL_SECONDS: '900', WORKSPACE_MAX_TTL_SECONDS: '600' })).toThrow(
      /WORKSPACE_TTL_SECONDS: must be at most WORKSPACE_MAX_TTL_SECONDS/,
    );
  });
});
