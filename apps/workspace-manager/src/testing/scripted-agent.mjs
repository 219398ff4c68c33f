// A test agent: does what `agent-plan.json` in its workspace says (the tests upload that
// file into the case), so one workspace manager can play every scenario: well-behaved
// outputs, hostile files, slow runs. Without a plan it runs the bundled Markdown agent.
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const here = process.cwd();
const planPath = join(here, 'agent-plan.json');
if (!existsSync(planPath)) {
  const agent = join(dirname(new URL(import.meta.url).pathname), '../../../../dist/apps/markdown-agent/main.js');
  const run = spawnSync(process.execPath, [agent, here], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

for (const step of JSON.parse(readFileSync(planPath, 'utf8'))) {
  const target = step.path === undefined ? '' : join(here, step.path);
  if (target) mkdirSync(dirname(target), { recursive: true });
  switch (step.op) {
    case 'write':
      writeFileSync(target, step.content);
      break;
    case 'append':
      appendFileSync(target, step.content);
      break;
    case 'delete':
      rmSync(target, { force: true });
      break;
    case 'symlink':
      symlinkSync(step.target, target);
      break;
    case 'hardlink':
      linkSync(step.target, target);
      break;
    case 'fifo':
      execFileSync('mkfifo', [target]);
      break;
    case 'sleep':
      await sleep(step.ms);
      break;
    case 'wait-for':
      // Blocks until the test creates this file (or 60 s pass).
      for (let i = 0; i < 600 && !existsSync(target); i++) await sleep(100);
      break;
    case 'many':
      mkdirSync(dirname(join(here, `${step.prefix}0`)), { recursive: true });
      for (let i = 0; i < step.count; i++) writeFileSync(join(here, `${step.prefix}${i}.txt`), `${step.content} ${i}\n`.repeat(step.repeat ?? 1));
      break;
    default:
      console.error(`unknown step ${JSON.stringify(step)}`);
      process.exit(2);
  }
  console.log(JSON.stringify({ done: step.op, path: step.path }));
}
