// `tessera generate` and `tessera edit` with the shipped model: files written at the model's size, and
// bad input refused with a clear message (non-image, non-square, empty prompt, bad -n); a square image of
// another size is box-filtered, with a note.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodePng, makeWorldItem, readPng, upscale } from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-gen-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../../src/cli/index.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('generate writes n variants of the model size', () => {
  const r = run(
    'generate',
    'a large red circle at the top left, on a white background',
    '-n',
    '2',
    '-o',
    join(dir, 'g'),
  );
  assert.equal(r.status, 0, r.stderr);
  const files = r.stdout.trim().split('\n');
  assert.equal(files.length, 2);
  for (const f of files) assert.equal(readPng(f).width, 64);
  assert.match(r.stderr, /2 variants in \d+ ms/);
});

test('edit resizes a square image of another size and writes the result', () => {
  const item = makeWorldItem('edit', 'train', 3, 0);
  const big = join(dir, 'big.png');
  writeFileSync(big, encodePng(upscale(item.segments[0].image!.pixels, 2)));
  const out = join(dir, 'e', 'out.png');
  const r = run('edit', big, item.segments[1].text!, '-o', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resized 128x128 to 64x64 with a box filter/);
  assert.equal(readPng(out).width, 64);
});

test('bad input gets a clear error', () => {
  writeFileSync(join(dir, 'not.png'), 'hello');
  const e1 = run('edit', join(dir, 'not.png'), 'make it blue', '-o', join(dir, 'x.png'));
  assert.equal(e1.status, 1);
  assert.match(e1.stderr, /not a PNG image/);
  writeFileSync(join(dir, 'wide.png'), encodePng({ width: 4, height: 2, data: new Uint8Array(24) }));
  const e2 = run('edit', join(dir, 'wide.png'), 'make it blue', '-o', join(dir, 'x.png'));
  assert.match(e2.stderr, /image is 4x2; the tokenizer needs a square image/);
  const e3 = run('generate', '   ', '-o', join(dir, 'y'));
  assert.equal(e3.status, 1);
  assert.match(e3.stderr, /the prompt is empty/);
  const e4 = run('generate', 'a red circle', '-n', '0', '-o', join(dir, 'y'));
  assert.match(e4.stderr, /-n must be an integer in 1\.\.64, got 0/);
  const e5 = run('generate', 'a red circle', '--model', join(dir, 'nomodel'));
  assert.match(e5.stderr, /config\.json not found.*HINT/);
});

test('chat: a piped dialogue saves each image and the session; undo, errors and restore work', () => {
  const out = join(dir, 'chat');
  const script = [
    'draw a large red circle at the top left on a white background',
    '/draw make the circle blue',
    '/undo',
    '/frobnicate',
    '/image not-a-file.png',
    '/ask what color is the circle?',
    '/history',
    '/quit',
  ].join('\n');
  const r = spawnSync(process.execPath, [cli, 'chat', '-o', out], { input: script, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /turn 1 "draw a large red circle[^\n]*-> \S*turn-1\.png/);
  assert.match(r.stdout, /back at turn 1/);
  assert.match(r.stdout, /error: unknown command \/frobnicate/);
  assert.match(r.stdout, /error: not-a-file\.png: cannot read/);
  assert.match(r.stdout, /turn 3 "what color is the circle\?"/);
  assert.equal(readPng(join(out, 'turn-1.png')).width, 64);
  // Restored from session.json it continues after turn 3, on the same branch.
  const again = spawnSync(process.execPath, [cli, 'chat', '-o', out, '--session', join(out, 'session.json')], {
    input: '/history\n/draw make the circle green\n',
    encoding: 'utf8',
  });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /restored, at turn 3/);
  // read against turn 1's drawing: the circle named in full (the shipped model draws one large red circle)
  assert.match(again.stdout, /turn 4 "make the [a-z ]*circle green" -> \S*turn-4\.png/);
  assert.match(again.stdout, /sent in the trained phrasing: "make the [a-z ]+ circle green"/);
  assert.doesNotMatch(again.stdout, /turn 2 "make the circle blue"/, 'the undone turn is not on the path');
  const missing = run('chat', '-o', out, '--session', join(out, 'nope.json'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /unknown session: cannot read .*nope\.json/);
  writeFileSync(join(out, 'bad.json'), '{"format": "tessera-session", "version": 1, "id": "x", "seed": 0, "turns": 3}');
  const bad = run('chat', '-o', out, '--session', join(out, 'bad.json'));
  assert.match(bad.stderr, /bad\.json: turns must be an array/);
});
