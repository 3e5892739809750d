// scripts/train-long.sh, the longer recipe, and scripts/train-two.sh, the two-code one, as a dry run (TESSERA=echo prints each command instead of
// running it): its stages in order, each starting from the one before, their mixtures, and the export of
// the last stage; then, with a stage's checkpoint marked finished or started, that it is skipped or resumed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { packageRoot } from '../../src/tensor/index.js';

const root = packageRoot();
const dir = mkdtempSync(join(tmpdir(), 'tessera-train-long-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const dryRun = (out: string, script = 'train-long.sh'): string[] =>
  execFileSync('bash', [join(root, 'scripts', script), out], {
    cwd: root,
    env: { ...process.env, TESSERA: 'echo' },
    encoding: 'utf8',
  })
    .trim()
    .split('\n');

const arg = (line: string, flag: string): string | null => {
  const words = line.split(' ');
  const i = words.indexOf(flag);
  return i >= 0 ? words[i + 1] : null;
};
const mixture = (line: string): Record<string, number> | null => {
  const m = /mixture=(\{[^}]*\})/.exec(line);
  return m ? (JSON.parse(m[1]) as Record<string, number>) : null;
};

test('train-long.sh: eleven stages in order, each from the last, then the export of the last', () => {
  const out = join(dir, 'fresh');
  const lines = dryRun(out).filter((l) => l.startsWith('train') || l.startsWith('export'));
  const stages = [
    'quick',
    'continue',
    'keep',
    'more',
    'longer',
    'longest',
    'read',
    'read-more',
    'low-rate',
    'decay',
    'recover',
  ];
  assert.equal(lines.length, stages.length + 1, lines.join('\n'));
  stages.forEach((s, i) => {
    assert.equal(arg(lines[i], '--out'), `${out}/${s}`);
    assert.equal(arg(lines[i], '--init'), i === 0 ? null : `${out}/${stages[i - 1]}/checkpoint`);
  });
  assert.equal(lines.at(-1), `export ${out}/recover/checkpoint ${out}/model`);
  // the longer stage adds ask; the longest stage also weighs single edits 3 instead of 2, nothing else
  const longer = mixture(lines[4])!;
  const longest = mixture(lines[5])!;
  assert.equal(longer.ask, 1);
  assert.equal(longer.edit, 2);
  assert.deepEqual(longest, { ...longer, edit: 3 });
  assert.equal(arg(lines[5], '--steps'), '12000');
  assert.match(lines[5], /--set lr=0.0003 /);
  // the read stage: the longest stage's mixture and rate, with codeResidualDrop, and only there and after
  assert.deepEqual(mixture(lines[6]), longest);
  assert.equal(arg(lines[6], '--steps'), '1500');
  assert.match(lines[6], /--set lr=0.0003 .*--set codeResidualDrop=0.5 --out /);
  assert.ok(lines.slice(0, 6).every((l) => !l.includes('codeResidualDrop')));
  // read-more: the read stage again for 24,000 steps, a fresh stream (seed 8), a checkpoint every 6,000
  assert.deepEqual(mixture(lines[7]), longest);
  assert.equal(arg(lines[7], '--steps'), '24000');
  assert.match(lines[7], /--set lr=0.0003 .*--set seed=8 .*--set codeResidualDrop=0.5 --keep-checkpoints 6000 --out /);
  // low-rate, decay, recover: the same drop at peak lr 1e-4; weight decay 3 in decay only, back to the
  // default 0.05 in recover; decay and recover on twice the long outputs (captions 2, edits 5, chains,
  // compound, plans and imagine 1)
  for (const i of [8, 9, 10]) assert.match(lines[i], /--set lr=0.0001 .*--set codeResidualDrop=0.5 /);
  assert.deepEqual(mixture(lines[8]), longest);
  const long = { ...longest, caption: 2, edit: 5, chain: 1, compound: 1, plan: 1, imagine: 1 };
  for (const i of [9, 10]) assert.deepEqual(mixture(lines[i]), long);
  // tile edges from the decay stage on (the recover stage's model has them from its init)
  assert.deepEqual(
    lines.map((l) => l.includes('tileEdges=1')),
    lines.map((_, i) => i === 9),
  );
  assert.deepEqual(
    [8, 9, 10].map((i) => [arg(lines[i], '--steps'), /weightDecay=([0-9.]+)/.exec(lines[i])?.[1] ?? null]),
    [
      ['12000', null],
      ['12000', '3'],
      ['6000', '0.05'],
    ],
  );
  assert.ok(lines.slice(0, 9).every((l) => !l.includes('weightDecay')));
});

test('train-long.sh: a finished stage is skipped, a started one resumed', () => {
  const out = join(dir, 'partial');
  const state = (stage: string, step: number, planned: number) => {
    mkdirSync(join(out, stage, 'checkpoint'), { recursive: true });
    writeFileSync(join(out, stage, 'checkpoint', 'state.json'), JSON.stringify({ step, plannedSteps: planned }));
  };
  state('quick', 9037, 9037);
  state('continue', 3000, 8000);
  const lines = dryRun(out);
  assert.equal(lines[0], `${out}/quick: finished, skipped`);
  assert.equal(lines[1], `train --resume ${out}/continue`);
  assert.equal(arg(lines[2], '--init'), `${out}/continue/checkpoint`);
});

test("train-two.sh: the quick two-code stage, the long one on the longer recipe's last mixture, then signs", () => {
  const out = join(dir, 'two');
  const lines = dryRun(out, 'train-two.sh').filter((l) => l.startsWith('train') || l.startsWith('export'));
  assert.equal(lines.length, 4, lines.join('\n'));
  assert.match(lines[0], /^train --config default --minutes 28 --set twoCodes=1 --set keepCode=1 /);
  assert.equal(arg(lines[0], '--out'), `${out}/quick`);
  assert.equal(arg(lines[1], '--init'), `${out}/quick/checkpoint`);
  assert.equal(arg(lines[1], '--out'), `${out}/long`);
  assert.ok(!lines[1].includes('twoCodes'), 'a model folder keeps its tokenizer');
  const recover = dryRun(join(dir, 'long-for-two')).filter((l) => l.startsWith('train'))[10];
  assert.deepEqual(mixture(lines[1]), mixture(recover));
  // the signs stage: from the long one, the same mixture with the sign tasks weighed up
  assert.equal(arg(lines[2], '--init'), `${out}/long/checkpoint`);
  assert.deepEqual(mixture(lines[2]), { ...mixture(recover), ocr: 2, letters_t2i: 4, letters_ocr: 2 });
  assert.equal(lines[3], `export ${out}/signs/checkpoint ${out}/model`);
});
