#!/usr/bin/env node
// The flow end to end against the running apps, as the browser does it: ask the upload
// API for pre-signed URLs, PUT the bytes straight to object storage with exactly the
// headers returned, complete, then read the case's tree from the manifest service.
// Usage: node scripts/demo.mjs   (after scripts/up.sh; reads ALICE_TOKEN and the case id
// from .local/seed.txt unless DEMO_TOKEN and DEMO_CASE are set)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const seed = readFileSync(join(import.meta.dirname, '..', '.local', 'seed.txt'), 'utf8');
const token = process.env.DEMO_TOKEN ?? /ALICE_TOKEN='([^']+)'/.exec(seed)?.[1];
const caseId = process.env.DEMO_CASE ?? /case (\S+)\s+Acme \/ Globex merger/.exec(seed)?.[1];
const uploadApi = process.env.UPLOAD_API ?? 'http://127.0.0.1:3001';
const manifest = process.env.MANIFEST_SERVICE ?? 'http://127.0.0.1:3002';
if (!token || !caseId) throw new Error('no seeded token or case: run scripts/up.sh first');

const stamp = new Date().toISOString();
const files = [
  { path: 'Correspondence/engagement-letter.txt', contentType: 'text/plain', data: Buffer.from(`Engagement letter\nSigned ${stamp}\n`) },
  { path: 'Notes/kickoff.md', contentType: 'text/markdown', data: Buffer.from(`# Kick-off\n\n- parties: Acme, Globex\n- noted ${stamp}\n`) },
];

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const init = await call('POST', `${uploadApi}/api/cases/${caseId}/files`, {
  files: files.map((f) => ({ path: f.path, size: f.data.length, sha256: createHash('sha256').update(f.data).digest('hex'), contentType: f.contentType })),
});
const completions = [];
for (const [i, f] of init.files.entries()) {
  const { 'Content-Length': _length, ...headers } = f.headers; // fetch sets the length itself, as browsers do
  const put = await fetch(f.url, { method: 'PUT', headers, body: files[i].data });
  if (!put.ok) throw new Error(`PUT of ${f.path} answered ${put.status}: ${await put.text()}`);
  completions.push({ fileId: f.fileId, uploadId: f.uploadId, etag: put.headers.get('etag'), versionId: put.headers.get('x-amz-version-id') });
  console.log(`uploaded ${f.path} (${files[i].data.length} bytes) straight to object storage`);
}
const done = await call('POST', `${uploadApi}/api/cases/${caseId}/files/complete`, { files: completions });
for (const f of done.files) console.log(`committed ${f.path}: version ${f.version.number}, sha256 ${f.sha256.slice(0, 12)}…`);

const listing = await call('GET', `${manifest}/api/cases/${caseId}/files`);
const print = (folder, indent = '') => {
  for (const sub of folder.folders) {
    console.log(`${indent}${sub.name}/`);
    print(sub, `${indent}  `);
  }
  for (const f of folder.files) console.log(`${indent}${f.name}  (v${f.version.number}, ${f.size} B, ${f.kind})`);
};
console.log(`\nthe case's tree, from the manifest service:`);
print(listing.tree);
