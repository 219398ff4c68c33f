/**
 * The manifest benchmark's baseline: the least a server can do to answer a cached page.
 * `GET /?key=<redis key>&field=<hash field>` does one HGET and writes the stored page
 * (`<etag>\n<body>`, as the manifest cache stores it) minus its ETag line. No auth, no
 * framework. Started by run.ts as its own process, so it has an event loop of its own,
 * as the service has; prints `{"port":N}` once it listens on 127.0.0.1.
 */
import { createServer } from 'node:http';
import Redis from 'ioredis';

const redisUrl = process.env['BENCH_REDIS_URL'];
if (!redisUrl) throw new Error('BENCH_REDIS_URL is required');
const redis = new Redis(redisUrl, { connectionName: 'manifest-bench-baseline' });

const server = createServer((req, res) => {
  const params = new URL(req.url ?? '/', 'http://baseline').searchParams;
  const key = params.get('key');
  const field = params.get('field');
  if (key === null || field === null) {
    res.writeHead(400).end('key and field are required');
    return;
  }
  redis.hgetBuffer(key, field).then(
    (stored) => {
      if (stored === null) {
        res.writeHead(404).end();
        return;
      }
      const newline = stored.indexOf(10);
      const body = stored.subarray(newline + 1);
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
        etag: stored.subarray(0, newline).toString('latin1'),
      });
      res.end(body);
    },
    (err: unknown) => {
      res.writeHead(500).end(String(err));
    },
  );
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address ? address.port : null }) + '\n');
});

process.on('SIGTERM', () => {
  server.close();
  redis.disconnect();
  server.closeAllConnections();
});
