// `tessera train --data/--data-ratio/--init`, `tessera data emoji-manifest`, `data check` of the new line
// kinds and `eval-data`, run in-process: a tiny fine-tuning run prints the own-data notice and resumes; bad
// options and a model folder given to --resume are refused with what to do instead.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { registerData } from '../../src/cli/commands/data.js';
import { registerEvalData } from '../../src/cli/commands/eval.js';
import { registerImageTokenizer } from '../../src/cli/commands/image-tokenizer.js';
import { registerTrain } from '../../src/cli/commands/train.js';
import { defaultModelDir } from '../../src/model/index.js';
import { runCommand } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one command line in-process; returns what it printed (stdout and stderr). */
async function run(args: string[]): Promise<{ out: string; err: string }> {
  const r = await runCommand([registerTrain, registerData, registerEvalData, registerImageTokenizer], args);
  return { out: r.out.join('\n'), err: r.err.join('\n') };
}

describe('tessera train on own data', () => {
  const own = join(dir, 'own');
  const manifest = join(own, 'manifest.jsonl');

  test('data emoji-manifest writes a manifest that data check accepts', async () => {
    const r = await run(['data', 'emoji-manifest', own, '--n', '6', '--heldout', '2', '--seed', '1']);
    assert.match(r.out, /manifest\.jsonl: 8 lines/);
    const lines = readFileSync(manifest, 'utf8').trim().split('\n');
    assert.equal(lines.length, 8);
    for (const l of lines) assert.ok(existsSync(join(own, JSON.parse(l).image ?? JSON.parse(l).source)));
    writeFileSync(
      manifest,
      `${readFileSync(manifest, 'utf8')}${JSON.stringify({ image: JSON.parse(lines[0]).image ?? JSON.parse(lines[0]).source, question: 'is it an emoji?', answer: 'yes' })}\n`,
    );
    const c = await run(['data', 'check', manifest]);
    assert.match(c.out, /9 items ok/);
  });

  test('a tiny run with --data prints the notice, then --resume continues it to its planned steps', async () => {
    const out = join(dir, 'run');
    const args = ['train', '--config', 'tiny', '--data', manifest, '--data-ratio', '0.7', '--steps', '4'];
    const r = await run([...args, '--out', out, '--set', 'evalN=0']);
    assert.match(r.err, /images are fitted to 64x64/);
    assert.match(r.err, /image tokenizer reconstruction: your \d+ images [\d.]+ dB PSNR, the world's 64 scenes/);
    assert.match(r.out, /trained to step 4/);
    const saved = JSON.parse(readFileSync(join(out, 'checkpoint', 'train-config.json'), 'utf8'));
    assert.equal(saved.dataRatio, 0.7);
    assert.equal(saved.data, manifest);
    const again = await run(['train', '--resume', out]);
    assert.match(again.out, /trained to step 4/);
    const e = await run(['eval-data', manifest, '--checkpoint', join(out, 'checkpoint'), '--world', '1', '--json']);
    const scores = JSON.parse(e.out.trim().split('\n').at(-1)!);
    assert.ok(scores.train.loss > 0 && scores.heldout.n > 0 && scores.world.n > 0);
  });

  test("tokenizer train-image --data trains the image tokenizer on the manifest's images too", async () => {
    const out = join(dir, 'itok');
    const args = ['tokenizer', 'train-image', '--data', manifest, '--steps', '1', '--batch', '2', '--eval', '0'];
    const r = await run([...args, '--config', '{"codebookSize": 64}', '--out', out]);
    assert.match(
      r.out,
      /\d+ images of .*manifest\.jsonl, 50% of each batch; NOTE: a new image tokenizer has new codes/,
    );
    assert.ok(existsSync(join(out, 'weights.safetensors')));
  });

  test('bad options and a model folder given to --resume are refused, saying what to do', async () => {
    await assert.rejects(
      run(['train', '--data', manifest, '--data-ratio', '2']),
      /--data-ratio must be a number in 0\.\.1, got 2/,
    );
    await assert.rejects(
      run(['train', '--resume', defaultModelDir()]),
      /is a model folder .* not a training run; HINT: fine-tune it instead: tessera train --init \S+tessera-default --data/,
    );
    await assert.rejects(run(['train', '--resume', join(dir, 'run'), '--data', manifest]), /--resume continues a run/);
    await assert.rejects(run(['train', '--data', manifest, '--cache', join(dir, 'c.bin')]), /--cache holds only/);
    writeFileSync(join(dir, 'bad.jsonl'), `${JSON.stringify({ image: 'nope.png', question: 'q' })}\n`);
    await assert.rejects(
      run(['train', '--config', 'tiny', '--data', join(dir, 'bad.jsonl'), '--out', join(dir, 'b')]),
      /bad\.jsonl:1 \(image\): file not found[\s\S]*bad\.jsonl:1 \(answer\)/,
    );
  });
});
