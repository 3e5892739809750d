// `tessera ablate --joint RUN`, in-process on a tiny run: each single-skill arm sees as many items of its
// skill as the joint run and none of the other, the table prints every arm with its interval and n, and an
// arm interrupted before its end is resumed exactly (the same metrics as the arm that ran through).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { registerAblate } from '../../src/cli/commands/ablate.js';
import { registerTrain } from '../../src/cli/commands/train.js';
import { runCommand } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-ablate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runCommand([registerTrain, registerAblate], args);

test('ablate --joint: equal items per skill, intervals in the table, an interrupted arm resumed exactly', async () => {
  const joint = join(dir, 'joint');
  await run([
    'train',
    '--config',
    'tiny',
    '--steps',
    '6',
    '--keep-checkpoints',
    '2',
    '--out',
    joint,
    '--set',
    'evalN=0',
  ]);
  const abl = join(dir, 'ablate');
  const args = ['ablate', '--joint', joint, '--n', '1', '--out', abl];
  const first = await run(args);
  const result = JSON.parse(first.out[first.out.length - 1]);
  const { counts } = result;
  assert.equal(counts['gen-only'].und, 0);
  assert.equal(counts['und-only'].gen, 0);
  assert.ok(counts.joint.gen > 0 && counts.joint.und > 0);
  // planned from the items a batch holds: within a batch's worth of the joint run's count
  for (const [arm, skill] of [
    ['gen-only', 'gen'],
    ['und-only', 'und'],
  ] as const)
    assert.ok(Math.abs(counts[arm][skill] - counts.joint[skill]) <= 16, `${arm}: ${JSON.stringify(counts)}`);
  const table = first.out.find((t) => t.startsWith('metric'))!.split('\n');
  assert.match(table[0], /^metric\s+n\s+joint\s+gen-only\s+und-only\s+joint-gen\s+joint-und$/);
  assert.match(table.find((l) => l.startsWith('vqa_acc'))!, /^vqa_acc\s+1\s+\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]/);
  assert.deepEqual(Object.keys(result.intervals).sort(), ['gen-only', 'joint', 'und-only']);

  // the gen-only arm as if killed at step 2 (its kept checkpoint put back as the latest): resumed, not retrained
  const arm = join(abl, 'gen-only');
  const steps = JSON.parse(readFileSync(join(arm, 'checkpoint', 'state.json'), 'utf8')).step;
  assert.ok(steps > 2, `the arm trains past its step-2 checkpoint (${steps} steps)`);
  rmSync(join(arm, 'checkpoint'), { recursive: true });
  cpSync(join(arm, 'checkpoints', 'step-2'), join(arm, 'checkpoint'), { recursive: true });
  const second = await run(args);
  assert.ok(
    second.err.some((l) => l.includes(`gen-only: resuming at step 2 of ${steps}`)),
    second.err.join('\n'),
  );
  assert.ok(second.err.some((l) => l.includes('und-only: reusing the finished run')));
  const again = JSON.parse(second.out[second.out.length - 1]);
  assert.deepEqual(again.results, result.results, 'the resumed arm ends where the uninterrupted one did');
  assert.deepEqual(again.counts, counts);
});
