// `tessera train --keep-checkpoints` then `tessera eval-scaling` and `tessera eval --json`, in-process on a
// tiny run: kept checkpoints, a table with a header row, the SVG, and JSON rows with value, n and interval.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { registerEval, registerEvalScaling } from '../../src/cli/commands/eval.js';
import { registerTrain } from '../../src/cli/commands/train.js';
import { runCommand } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-scaling-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = async (args: string[]) => (await runCommand([registerTrain, registerEval, registerEvalScaling], args)).out;

test('train --keep-checkpoints 2, eval-scaling over the run, eval --json on one checkpoint', async () => {
  const out = join(dir, 'run');
  await run(['train', '--config', 'tiny', '--steps', '4', '--keep-checkpoints', '2', '--out', out, '--set', 'evalN=0']);
  assert.ok(existsSync(join(out, 'checkpoints', 'step-2')) && existsSync(join(out, 'checkpoints', 'step-4')));
  const svg = join(dir, 'plots', 'scaling.svg');
  const logs = await run(['eval-scaling', out, '--n', '1', '--factor-n', '0', '--svg', svg, '--json']);
  const table = logs[0].split('\n');
  assert.match(table[0], /^metric\s+.*items seen 8\s+.*items seen 16$/);
  const json = JSON.parse(logs[logs.length - 1]);
  assert.deepEqual(
    json.map((p: { step: number }) => p.step),
    [2, 4],
  );
  assert.equal(typeof json[0].metrics.t2i_acc.n, 'number');
  assert.match(readFileSync(svg, 'utf8'), /log scale/);
  const e = await run(['eval', '--checkpoint', join(out, 'checkpoint'), '--n', '1', '--factor-n', '1', '--json']);
  assert.match(e[0].split('\n')[0], /^metric\s+value\s+95% interval\s+n$/);
  const rows = JSON.parse(e[e.length - 1]);
  assert.ok(rows.ocr_heldout_word_acc.n >= 2, 'factor items pooled into the factor metrics');
  assert.deepEqual(Object.keys(rows.caption_color_acc).sort(), ['hi', 'interval', 'lo', 'n', 'value']);
});
