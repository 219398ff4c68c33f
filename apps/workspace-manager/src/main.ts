import 'reflect-metadata';
import { ConfigError, loadConfig } from '@case-storage/config';
import { bootstrap, serveOpenApi } from '@case-storage/platform';
import { AppModule } from './app/app.module';
import { buildWorkspaceManagerDocument } from './openapi';

async function main(): Promise<void> {
  const config = loadConfig('workspace-manager', process.env);
  await bootstrap(AppModule.forRoot(config), config, (app) => serveOpenApi(app, buildWorkspaceManagerDocument()));
}

main().catch((err: unknown) => {
  // Before the logger exists: one JSON line on stderr, then a non-zero exit (fail fast).
  const message = err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(JSON.stringify({ level: 'fatal', service: 'workspace-manager', msg: message }) + '\n');
  process.exit(1);
});
