// The CLI's shared pieces (src/cli/output.ts, table.ts, options.ts): numbered default outputs, refusing a
// named file that exists, tables with their header row, the --scale parser.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { scaleOption } from '../../src/cli/options.js';
import { checkWritable, numberedPaths, OutputExistsError, writeOutput } from '../../src/cli/output.js';
import { formatTable } from '../../src/cli/table.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-out-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('numbered paths start at 0 and continue after the highest of their kind', () => {
  const d = join(dir, 'n');
  assert.deepEqual(numberedPaths(d, 'variant', 2), [join(d, 'variant-0.png'), join(d, 'variant-1.png')]);
  mkdirSync(d);
  for (const f of ['variant-0.png', 'variant-7.png', 'edit-12.png', 'variant-x.png', 'my-variant-20.png'])
    writeFileSync(join(d, f), '');
  assert.deepEqual(numberedPaths(d, 'variant', 2), [join(d, 'variant-8.png'), join(d, 'variant-9.png')]);
  assert.deepEqual(numberedPaths(d, 'edit', 1), [join(d, 'edit-13.png')]);
});

test('a named file that exists is refused with a hint unless forced; folders are created', () => {
  const f = join(dir, 'deep', 'er', 'a.png');
  writeOutput(f, 'one');
  assert.throws(
    () => writeOutput(f, 'two'),
    (e: unknown) => e instanceof OutputExistsError && /HINT: .*--force/.test(e.message),
  );
  assert.throws(() => checkWritable(f), OutputExistsError);
  assert.equal(readFileSync(f, 'utf8'), 'one');
  writeOutput(f, 'three', true);
  assert.equal(readFileSync(f, 'utf8'), 'three');
  checkWritable(join(dir, 'nope.png'));
});

test('tables: a header row, numbers right-aligned (counts whole, others with 3 decimals), n/a for null, rows checked against the header', () => {
  const t = formatTable(
    ['metric', 'value', 'n'],
    [
      ['t2i_exact', 0.5, 20],
      ['caption_exact', null, 0],
      ['vqa_exact', 1, 3],
    ],
    { counts: ['n'] },
  ).split('\n');
  assert.deepEqual(t, [
    'metric         value   n',
    't2i_exact      0.500  20',
    'caption_exact    n/a   0',
    'vqa_exact      1.000   3',
  ]);
  assert.throws(() => formatTable(['a', 'b'], [['x']]), /row 0 has 1 cells but the header has 2/);
});

test('--scale takes 1, 2, 4, 8, 16 only', () => {
  assert.deepEqual(['1', '2', '4', '8', '16'].map(scaleOption), [1, 2, 4, 8, 16]);
  for (const bad of ['3', '0', '32', '', 'x', '2.5'])
    assert.throws(() => scaleOption(bad), /--scale must be one of 1, 2, 4, 8, 16/);
});
