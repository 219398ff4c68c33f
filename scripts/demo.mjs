#!/usr/bin/env node
// The whole flow end to end against the running apps, one numbered step each in the output:
//   1. generate four small legal documents (a 2-page PDF brief with a real text layer, a
//      DOCX memo with a table, HTML hearing notes, a plain-text letter);
//   2. upload them as the browser does: ask the upload API for pre-signed URLs, PUT the
//      bytes straight to object storage with exactly the headers returned, complete;
//   3. open a workspace of the case on the workspace manager;
//   4. follow it while it materializes the case, runs the default Markdown agent and syncs back;
//   5. print what the sync wrote and the case's tree from the manifest service, each
//      derived .md with the document and version it was made from (and check that);
//   6. show that a sync after completion finds nothing left to do, then delete the workspace.
// Any failure (an API error, the workspace failed or too slow, the agent not exiting 0, a
// document without its derivative) ends it with exit code 1 and what went wrong.
// Usage: node scripts/demo.mjs   (after scripts/up.sh; reads ALICE_TOKEN and the case id
// from .local/seed.txt unless DEMO_TOKEN and DEMO_CASE are set). DEMO_TIMEOUT_SECONDS
// (default 120) bounds the wait for the workspace; DEMO_KEEP_WORKSPACE=1 leaves it on disk.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun, WidthType } from 'docx';
import PDFDocument from 'pdfkit';

const repo = join(import.meta.dirname, '..');
const seed = readFileSync(join(repo, '.local', 'seed.txt'), 'utf8');
const token = process.env.DEMO_TOKEN ?? /ALICE_TOKEN='([^']+)'/.exec(seed)?.[1];
const caseId = process.env.DEMO_CASE ?? /case (\S+)\s+Acme \/ Globex merger/.exec(seed)?.[1];
const uploadApi = process.env.UPLOAD_API ?? 'http://127.0.0.1:3001';
const manifest = process.env.MANIFEST_SERVICE ?? 'http://127.0.0.1:3002';
const workspaceManager = process.env.WORKSPACE_MANAGER ?? 'http://127.0.0.1:3003';
const timeoutMs = Number(process.env.DEMO_TIMEOUT_SECONDS ?? 120) * 1000;
const keepWorkspace = process.env.DEMO_KEEP_WORKSPACE === '1';
const agentLogs = join(process.env.WORKSPACE_ROOT ?? join(repo, '.local', 'ai-workspaces'), '.logs');
if (!token || !caseId) fail('no seeded token or case: run scripts/up.sh first');

// ---------------------------------------------------------------------------------------
// 1. Sample documents: fixed text plus one line with this run's time, so every run uploads
// new versions and the agent's derivatives follow them (v2 derived from v2, and so on).

const stamp = new Date().toISOString();
const STAMP_LINE = `Demo copy generated ${stamp}.`;

const BRIEF = [
  {
    heading: 'Acme Corp. v. Globex Ltd.: Brief in Support of Motion to Dismiss',
    paragraphs: [
      'Defendant Globex Ltd. moves to dismiss the complaint for failure to state a claim. The complaint rests on a ' +
        'letter of intent that both parties signed as expressly non-binding.',
      'Statement of facts. On 3 March the parties signed a letter of intent for the acquisition of Acme Corp. ' +
        'Section 9 of that letter provides that no party is bound until a definitive agreement is executed. None was.',
    ],
  },
  {
    heading: 'Argument',
    paragraphs: [
      'I. A non-binding letter of intent cannot support a claim for breach. The parties said in plain words what ' +
        'they meant, and the court should hold them to it.',
      'II. The claim for breach of the duty to negotiate in good faith fails for the same reason: the letter ' +
        'disclaims every obligation except confidentiality, which is not alleged to have been breached.',
      'Conclusion. The complaint should be dismissed with prejudice.',
    ],
  },
];

const MEMO = {
  heading: 'Memorandum: Acme / Globex merger, open points',
  paragraphs: [
    'To: the deal team. From: Alice. Re: what remains before signing.',
    'The disclosure schedules are nearly complete. Two items need a decision from the client this week.',
  ],
  table: [
    ['Item', 'Owner', 'Due'],
    ['Antitrust filing', 'Bob', '14 May'],
    ['Employee consents', 'Alice', '21 May'],
    ['Escrow agreement', 'Globex counsel', '28 May'],
  ],
};

const hearingNotes = () => `<!doctype html>
<html><head><title>Hearing notes</title><style>body { font-family: serif }</style></head>
<body>
<h1>Hearing notes: motion to dismiss</h1>
<p>Courtroom 4B, before Judge Rivera. Present: counsel for both parties.</p>
<h2>Points raised by the court</h2>
<ul>
  <li>Whether section 9 of the letter of intent covers the good-faith claim.</li>
  <li>Whether the confidentiality clause survives termination.</li>
</ul>
<p>The court took the motion <strong>under advisement</strong>; a ruling is expected within 30 days.</p>
<p><small>${STAMP_LINE}</small></p>
<script>console.log('not part of the notes');</script>
</body></html>
`;

const letter = () => `Engagement letter

Dear Ms. Acme,

This letter confirms that our firm will represent Acme Corp. in the proposed merger
with Globex Ltd. and in the related litigation. Our fees are set out in the attached
schedule.

Yours sincerely,
Alice

${STAMP_LINE}
`;

function briefPdf() {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ autoFirstPage: false, info: { Title: 'Brief in Support of Motion to Dismiss' } });
    const chunks = [];
    doc.on('data', (chunk) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    for (const page of BRIEF) {
      doc.addPage().font('Times-Bold').fontSize(16).text(page.heading).moveDown();
      for (const paragraph of page.paragraphs) doc.font('Times-Roman').fontSize(12).text(paragraph).moveDown(0.5);
    }
    doc.font('Times-Italic').fontSize(9).text(STAMP_LINE);
    doc.end();
  });
}

function memoDocx() {
  const cell = (text, bold = false) => new TableCell({ children: [new Paragraph({ children: [new TextRun({ text, bold })] })] });
  const document = new Document({
    creator: 'case-storage demo',
    sections: [
      {
        children: [
          new Paragraph({ text: MEMO.heading, heading: HeadingLevel.HEADING_1 }),
          ...[...MEMO.paragraphs, STAMP_LINE].map((text) => new Paragraph({ text })),
          new Table({
            width: { size: 100, type: WidthType.PERCENTAGE },
            rows: MEMO.table.map((cells, row) => new TableRow({ children: cells.map((text) => cell(text, row === 0)) })),
          }),
        ],
      },
    ],
  });
  return Packer.toBuffer(document);
}

// ---------------------------------------------------------------------------------------
// Helpers

function fail(message) {
  console.error(`\ndemo FAILED: ${message}`);
  process.exit(1);
}

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body && JSON.stringify(body),
  }).catch((err) => fail(`${method} ${url}: ${err.cause?.message ?? err.message} (is the app running? see .local/log/)`));
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  if (!res.ok) fail(`${method} ${url} answered ${res.status}: ${typeof json === 'string' ? json : JSON.stringify(json)}`);
  return { status: res.status, body: json };
}

const kB = (n) => (n === undefined ? '?' : n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} kB`);
const short = (id) => `${String(id).slice(0, 8)}…`;
const step = (n, title) => console.log(`\n[${n}] ${title}`);
const quote = (lines) => lines.map((l) => `      | ${l.length > 100 ? `${l.slice(0, 99)}…` : l}`).join('\n');

// ---------------------------------------------------------------------------------------

step(1, 'generating sample documents');
const documents = [
  { path: 'Pleadings/brief.pdf', what: 'PDF, 2 pages, text layer', contentType: 'application/pdf', data: await briefPdf() },
  {
    path: 'Memos/merger-memo.docx',
    what: 'DOCX, heading, paragraphs, table',
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    data: await memoDocx(),
  },
  { path: 'Hearings/hearing-notes.html', what: 'HTML, with a script to drop', contentType: 'text/html', data: Buffer.from(hearingNotes()) },
  { path: 'Correspondence/engagement-letter.txt', what: 'plain text', contentType: 'text/plain', data: Buffer.from(letter()) },
];
for (const d of documents) {
  d.sha256 = createHash('sha256').update(d.data).digest('hex');
  console.log(`    ${d.path.padEnd(38)} ${kB(d.data.length).padStart(8)}  ${d.what.padEnd(33)} sha256 ${d.sha256.slice(0, 12)}…`);
}

step(2, `uploading them to case ${caseId} through the pre-signed flow (${uploadApi})`);
const init = await call('POST', `${uploadApi}/api/cases/${caseId}/files`, {
  files: documents.map((d) => ({ path: d.path, size: d.data.length, sha256: d.sha256, contentType: d.contentType })),
});
const completions = [];
for (const [i, f] of init.body.files.entries()) {
  if (!f.url) fail(`${f.path}: expected a single pre-signed PUT, got ${JSON.stringify(f)}`);
  const headers = { ...f.headers };
  delete headers['Content-Length']; // fetch sets the length itself, as browsers do
  const put = await fetch(f.url, { method: 'PUT', headers, body: documents[i].data });
  if (!put.ok) fail(`PUT of ${f.path} answered ${put.status}: ${await put.text()}`);
  completions.push({
    fileId: f.fileId,
    uploadId: f.uploadId,
    etag: put.headers.get('etag'),
    versionId: put.headers.get('x-amz-version-id'),
  });
  console.log(`    PUT ${f.path} straight to object storage: ${put.status}`);
}
const committed = await call('POST', `${uploadApi}/api/cases/${caseId}/files/complete`, { files: completions });
for (const f of committed.body.files) console.log(`    committed ${f.path}: v${f.version.number}, sha256 ${f.sha256.slice(0, 12)}…`);

step(3, `opening a workspace on the workspace manager (${workspaceManager})`);
const opened = await call('POST', `${workspaceManager}/api/cases/${caseId}/workspaces`, {});
const workspaceId = opened.body.id;
console.log(
  `    POST /api/cases/${short(caseId)}/workspaces answered ${opened.status}: workspace ${workspaceId} on node ${opened.body.node}, ${opened.body.status}`,
);

step(4, 'following it: materialize the case on the node, run the Markdown agent, sync back');
const describe = (w) => {
  const p = w.progress ?? {};
  const m = p.materialized;
  switch (w.status) {
    case 'materializing':
      return `${p.filesDone ?? 0}/${p.filesTotal ?? '?'} files, ${kB(p.bytesDone ?? 0)} of ${kB(p.bytesTotal)}`;
    case 'ready':
    case 'running':
      return [
        m &&
          `materialized ${m.files} files (${kB(m.bytes)}: ${kB(m.bytesDownloaded)} downloaded, ${kB(m.bytes - m.bytesDownloaded)} from the node's cache) in ${m.durationMs} ms`,
        w.status === 'running' && `agent ${w.agent?.state ?? 'starting'} (${w.agent?.runtime ?? '?'} runtime)`,
      ]
        .filter(Boolean)
        .join('; ');
    case 'syncing':
      return [
        `agent ${w.agent?.state ?? '?'}${w.agent?.exitCode !== undefined && w.agent?.exitCode !== null ? `, exit code ${w.agent.exitCode}` : ''}`,
        p.filesTotal !== undefined
          ? `uploading ${p.filesDone ?? 0}/${p.filesTotal} files (${kB(p.bytesDone ?? 0)} of ${kB(p.bytesTotal)})`
          : 'scanning the workspace',
      ].join('; ');
    case 'completed':
      return `agent ${w.agent?.state ?? '?'}, synced back`;
    case 'queued':
      return "waiting for the node's worker";
    default:
      return p.phase ? `phase ${p.phase}` : '';
  }
};
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(6);
let workspace = opened.body;
let lastLine = '';
for (;;) {
  const line = `${workspace.status.padEnd(13)} ${describe(workspace)}`;
  if (line !== lastLine) console.log(`    ${elapsed()}  ${line}`);
  lastLine = line;
  if (workspace.status === 'completed') break;
  if (workspace.status === 'failed' || workspace.status === 'expired' || workspace.status === 'deleted') {
    const error = workspace.error ?? { code: '?', message: '(no error recorded)' };
    fail(
      `workspace ${workspaceId} ended ${workspace.status}: ${error.code}: ${error.message}\n` +
        `  agent: ${JSON.stringify(workspace.agent)}\n` +
        `  logs: .local/log/workspace-manager.log, agent log ${join(agentLogs, `${workspaceId}.log`)}`,
    );
  }
  if (Date.now() - started > timeoutMs) {
    fail(
      `workspace ${workspaceId} still ${workspace.status} after ${timeoutMs / 1000} s (progress ${JSON.stringify(workspace.progress)}); see .local/log/workspace-manager.log`,
    );
  }
  await sleep(150);
  workspace = (await call('GET', `${workspaceManager}/api/workspaces/${workspaceId}`)).body;
}

// A run whose agent failed still completes (what it wrote is synced); for the demo it is a failure.
if (workspace.agent?.state !== 'exited' || workspace.agent.exitCode !== 0) {
  const log = join(agentLogs, `${workspaceId}.log`);
  const text = existsSync(log) ? readFileSync(log, 'utf8').trim() : '';
  const tail = text ? quote(text.split('\n').slice(-15)) : '      (empty or missing)';
  fail(
    `the agent did not finish cleanly: ${JSON.stringify(workspace.agent)}\n` +
      `  agent log ${log} (the workspace is kept until it expires):\n${tail}\n  manager log: .local/log/workspace-manager.log`,
  );
}

step(5, `completed in ${((Date.now() - started) / 1000).toFixed(1)} s; what the sync wrote back to the case`);
const printSync = (sync) => {
  const rows = [
    ...(sync.created ?? []).map((f) => ['created', f]),
    ...(sync.updated ?? []).map((f) => ['updated', f]),
    ...(sync.conflicts ?? []).map((f) => ['conflict', f]),
  ];
  for (const [what, f] of rows) {
    const extra = f.reason ? `  (${f.reason}${f.source ? ` on ${f.source}` : ''})` : '';
    console.log(`    ${what.padEnd(8)}  ${f.path.padEnd(42)} v${f.versionNo}  file ${short(f.fileId)}${extra}`);
  }
  const list = (xs, show) => (xs?.length ? xs.map(show).join(', ') : 'none');
  console.log(
    `    unchanged ${sync.unchanged ?? '?'} · conflicts ${sync.conflicts?.length ?? 0} · refused ${list(sync.refused, (r) => `${r.path} (${r.reason})`)}` +
      ` · deleted by the agent (kept in the case) ${list(sync.deleted, String)} · to retry ${list(sync.retry, (r) => `${r.path} (${r.reason})`)}`,
  );
};
if (!workspace.sync) fail('completed without a sync result');
printSync(workspace.sync);

const listing = (await call('GET', `${manifest}/api/cases/${caseId}/files`)).body;
console.log(`\n    the case's tree, from the manifest service (GET ${manifest}/api/cases/${short(caseId)}/files):`);
const origin = (file) => {
  const from = file.derivedFrom;
  if (!from) return '';
  const source = from.path && dirname(from.path) === dirname(file.path) ? basename(from.path) : (from.path ?? `file ${short(from.fileId)}`);
  return `, derived from ${source} v${from.versionNumber ?? '?'}${from.sourceChanged ? ', source changed since' : ''}`;
};
const printTree = (folder, indent) => {
  for (const sub of folder.folders) {
    console.log(`${indent}${sub.name}/`);
    printTree(sub, `${indent}  `);
  }
  for (const f of folder.files)
    console.log(`${indent}${f.name.padEnd(Math.max(34 - indent.length, 0))}  (v${f.version.number}, ${kB(f.size)}${origin(f)})`);
};
printTree(listing.tree, '      ');
const allFiles = (folder) => [...folder.files, ...folder.folders.flatMap(allFiles)];
if (listing.page?.nextCursor) console.log(`      … more files on the next page (cursor ${listing.page.nextCursor})`);

// Every document uploaded above must now have a Markdown derivative made from that very version.
const byPath = new Map(allFiles(listing.tree).map((f) => [f.path, f]));
const stale = committed.body.files.filter((f) => byPath.get(`${f.path}.md`)?.derivedFrom?.versionNumber !== f.version.number);
if (stale.length)
  fail(
    `no Markdown derivative of this run's version of ${stale.map((f) => f.path).join(', ')} (agent log: ${join(agentLogs, `${workspaceId}.log`)})`,
  );

// What the agent made of the PDF: its text layer, one section per page.
const briefMd = byPath.get('Pleadings/brief.pdf.md');
if (briefMd) {
  const link = (await call('GET', `${manifest}/api/cases/${caseId}/files/${briefMd.id}/download`)).body;
  const text = await (await fetch(link.url)).text();
  console.log(`\n    Pleadings/brief.pdf.md v${link.version}, through a pre-signed download (first lines):`);
  console.log(
    quote(
      text
        .split('\n')
        .filter((l) => l.trim())
        .slice(0, 6),
    ),
  );
}

step(6, 'tidying up');
// The run's final sync already wrote everything back; asking again finds nothing to do.
const syncCount = workspace.sync.count;
await call('POST', `${workspaceManager}/api/workspaces/${workspaceId}/sync`);
for (const deadline = Date.now() + 30_000; workspace.sync.count === syncCount; await sleep(150)) {
  if (Date.now() > deadline) fail('the extra sync did not finish within 30 s');
  workspace = (await call('GET', `${workspaceManager}/api/workspaces/${workspaceId}`)).body;
}
const again = workspace.sync;
console.log(
  `    POST /api/workspaces/${short(workspaceId)}/sync is not needed after completion: a second sync found ` +
    `${again.created.length} new and ${again.updated.length} changed files (${again.unchanged} unchanged)`,
);
if (keepWorkspace) {
  console.log(
    `    DEMO_KEEP_WORKSPACE=1: the workspace stays on the node under ${dirname(agentLogs)} until it expires (${workspace.expiresAt})`,
  );
} else {
  const removed = await call('DELETE', `${workspaceManager}/api/workspaces/${workspaceId}`);
  for (const deadline = Date.now() + 30_000; workspace.status !== 'deleted'; await sleep(150)) {
    if (Date.now() > deadline) fail(`the workspace is still ${workspace.status} 30 s after DELETE`);
    workspace = (await call('GET', `${workspaceManager}/api/workspaces/${workspaceId}`)).body;
  }
  console.log(`    DELETE /api/workspaces/${short(workspaceId)} answered ${removed.status}; the workspace is now ${workspace.status}.`);
  console.log(`    Good hygiene for a demo: a workspace is a full copy of the case on the node's disk; the files stay in the case.`);
}
