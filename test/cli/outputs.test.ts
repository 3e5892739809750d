// Output files and printed tables of the CLI, with the shipped model and -n 1: default numbered outputs in
// ./out (a second run never replaces the first), a named -o file that exists refused unless --force,
// --scale upscales, --json prints the request and base64 PNGs instead of writing files, and the tables of
// eval, eval-dialogue, doctor and data check have their header row.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodePng, encodePng, makeWorldItem, readPng } from '../../src/data/index.js';

const cwd = mkdtempSync(join(tmpdir(), 'tessera-outputs-'));
after(() => rmSync(cwd, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../../src/cli/index.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd });
const PROMPT = 'a large red circle at the top left on a white background';

test('generate: out/variant-N.png by default, numbered on; --scale upscales', () => {
  const a = run('generate', PROMPT, '-n', '1');
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout.trim(), join('out', 'variant-0.png'));
  const b = run('generate', PROMPT, '-n', '1', '--scale', '2');
  assert.equal(b.status, 0, b.stderr);
  assert.equal(b.stdout.trim(), join('out', 'variant-1.png'), 'the second run does not replace the first');
  assert.equal(readPng(join(cwd, 'out', 'variant-0.png')).width, 64);
  assert.equal(readPng(join(cwd, 'out', 'variant-1.png')).width, 128);
  assert.match(run('generate', PROMPT, '--scale', '3').stderr, /--scale must be one of 1, 2, 4, 8, 16, got 3/);
});

test('generate --json: one object with the prompt, model, seed, options and base64 PNGs; no files', () => {
  const r = run('generate', PROMPT, '-n', '1', '--json', '--scale', '4', '--seed', '3', '-o', 'json-out');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    prompt: string;
    model: string;
    seed: number;
    options: { n: number; scale: number; temperature: number };
    images: { width: number; height: number; png: string }[];
  };
  assert.equal(j.prompt, PROMPT);
  assert.equal(j.model, 'tessera-default');
  assert.equal(j.seed, 3);
  assert.deepEqual([j.options.n, j.options.scale, j.options.temperature], [1, 4, 0.7]);
  assert.equal(j.images.length, 1);
  const png = decodePng(Buffer.from(j.images[0].png, 'base64'));
  assert.deepEqual([png.width, png.height, j.images[0].width, j.images[0].height], [256, 256, 256, 256]);
  assert.equal(existsSync(join(cwd, 'json-out')), false);
});

test('edit: out/edit-N.png by default; a named file that exists is refused unless --force; --json', () => {
  const item = makeWorldItem('edit', 'train', 3, 0);
  const input = join(cwd, 'in.png');
  writeFileSync(input, encodePng(item.segments[0].image!.pixels));
  const instruction = item.segments[1].text!;
  const a = run('edit', input, instruction);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout.trim(), join('out', 'edit-0.png'));
  const named = join(cwd, 'mine.png');
  writeFileSync(named, 'keep me');
  const b = run('edit', input, instruction, '-o', named);
  assert.equal(b.status, 1);
  assert.match(b.stderr, /mine\.png already exists; HINT: .*--force/);
  assert.equal(readFileSync(named, 'utf8'), 'keep me');
  const c = run('edit', input, instruction, '-o', named, '--force', '--scale', '2');
  assert.equal(c.status, 0, c.stderr);
  assert.equal(readPng(named).width, 128);
  const j = JSON.parse(run('edit', input, instruction, '--json').stdout) as {
    instruction: string;
    image: string;
    options: { temperature: number };
    images: { width: number }[];
  };
  assert.deepEqual([j.instruction, j.image, j.options.temperature, j.images[0].width], [instruction, input, 0, 64]);
  assert.deepEqual(
    readdirSync(join(cwd, 'out')).filter((f) => f.startsWith('edit')),
    ['edit-0.png'],
  );
});

test('decode: out/decode-N.png by default; an existing -o refused', () => {
  const codes = run('encode', join(cwd, 'in.png'));
  assert.equal(codes.status, 0, codes.stderr);
  writeFileSync(join(cwd, 'codes.json'), codes.stdout);
  const a = run('decode', 'codes.json');
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout.trim(), `wrote ${join('out', 'decode-0.png')}`);
  const b = run('decode', 'codes.json', '-o', join('out', 'decode-0.png'));
  assert.match(b.stderr, /decode-0\.png already exists/);
});

test('tables have header rows: eval, eval-dialogue, doctor, data check', () => {
  const e = run('eval', '--n', '1');
  assert.equal(e.status, 0, e.stderr);
  const lines = e.stdout.trim().split('\n');
  assert.match(lines[0], /^metric +value +95% interval +n$/);
  assert.match(lines[1], /^\S+ +(\d\.\d{3}|n\/a) +(\[\d\.\d{3}, \d\.\d{3}\]|n\/a) +\d+$/);
  const d = run('eval-dialogue', '--n', '1', '--turns', '1');
  assert.equal(d.status, 0, d.stderr);
  const dl = d.stdout.trim().split('\n');
  assert.match(dl[0], /^metric +value +95% interval +n$/);
  assert.match(dl[1], /^chain_turn_acc +\d\.\d{3} +\[\d\.\d{3}, \d\.\d{3}\] +1$/);
  assert.ok(
    dl.some((l) => /^step_by_step_minus_one_shot +-?\d\.\d{3} +\[-?\d\.\d{3}, -?\d\.\d{3}\] \(paired\) +1$/.test(l)),
    d.stdout,
  );
  const doc = run('doctor', '--no-measure');
  assert.equal(doc.status, 0, doc.stderr);
  assert.match(doc.stdout.split('\n')[0], /^setting +value$/);
  writeFileSync(join(cwd, 'm.jsonl'), '{"kind": "caption"}\nnot json\n');
  const m = run('data', 'check', 'm.jsonl');
  assert.equal(m.status, 1);
  assert.match(m.stderr, /m\.jsonl: 4 problems\nline +field +problem\n(.*\n)* +2 +- +invalid JSON/);
});
