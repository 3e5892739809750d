// Session files are validated fully when they load, against the model's sizes: out-of-range codes, wrong
// code counts, images of another size (or bombs) and oversized texts are refused then, naming the field,
// instead of failing every later turn. A second chat never replaces a saved session, and two chats never
// share a folder.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodePng, makeWorldItem } from '../../src/data/index.js';
import { readSessionFile, Session, SessionFileError } from '../../src/infer/index.js';
import { bombPng } from '../helpers/png.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-sessfile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../../src/cli/index.js', import.meta.url));
const shape = { imageSize: 64, grid: 8, codebookSize: 2048 };
const picture = makeWorldItem('edit', 'train', 3, 0).segments[0].image!.pixels;
const png = (w: number, h: number) =>
  encodePng({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(9) }).toString('base64');

function sessionJson(output: unknown[], inputImage = encodePng(picture).toString('base64')) {
  return {
    format: 'tessera-session',
    version: 1,
    id: 'file-test',
    seed: 1,
    head: 1,
    turns: [{ id: 1, parent: null, input: { text: 'make the circle blue', image: inputImage }, output }],
  };
}

const refused = (json: unknown, re: RegExp) =>
  assert.throws(
    () => Session.fromJSON(json, 'f.json', shape),
    (e: unknown) => e instanceof SessionFileError && re.test(e.message),
  );

test('codes, code counts, image sizes and texts are checked when a session loads', () => {
  const img = encodePng(picture).toString('base64');
  const codes = (c: number[]) => [{ kind: 'image', image: img, codes: c }];
  // a good one loads
  Session.fromJSON(sessionJson(codes(new Array(64).fill(7))), 'f.json', shape);
  refused(sessionJson(codes([...new Array(63).fill(7), 99999])), /codes: every code must be an integer in \[0, 2048\)/);
  refused(sessionJson(codes(new Array(64).fill(2 ** 31 - 1))), /codes: every code must be an integer in \[0, 2048\)/);
  refused(sessionJson(codes(new Array(10).fill(1))), /output\[0\]\.codes must be an array of 64 codes/);
  // a two-code model's images are 128 codes (two a patch): a one-code image's 64 are refused
  const twoCodes = { ...shape, codesPerPatch: 2 };
  Session.fromJSON(sessionJson(codes(new Array(128).fill(7))), 'f.json', twoCodes);
  assert.throws(
    () => Session.fromJSON(sessionJson(codes(new Array(64).fill(7))), 'f.json', twoCodes),
    /output\[0\]\.codes must be an array of 128 codes \(the 8x8 grid, 2 a patch\)/,
  );
  refused(sessionJson([], png(1, 1)), /input\.image: image is 1x1; the model's images are 64x64/);
  // a 4000x4000 image (or any bomb) is refused from its header: nothing larger than 64x64 is decoded
  refused(
    sessionJson([], bombPng(4000, 4000).toString('base64')),
    /input\.image: image is not a readable PNG \(declares 4000x4000/,
  );
  refused(
    sessionJson([{ kind: 'text', text: 'x'.repeat(30000) }]),
    /output\[0\]\.text has 30000 characters \(limit 20000\)/,
  );
});

test('a session file is read with its size checked and refused with SessionFileError', () => {
  const f = join(dir, 'bad.json');
  writeFileSync(f, '{"format": "tessera-sess');
  assert.throws(
    () => readSessionFile(f, shape),
    (e: unknown) => e instanceof SessionFileError && /not valid JSON/.test(e.message),
  );
  assert.throws(() => readSessionFile(join(dir, 'none.json'), shape), /unknown session: cannot read .*none\.json/);
});

test('a second chat does not replace a saved session, and two chats never share a folder', async () => {
  const out = join(dir, 'chat');
  const first = spawnSync(process.execPath, [cli, 'chat', '-o', out], { input: '/history\n', encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  writeFileSync(join(out, 'session.json'), JSON.stringify(sessionJson([])));
  const second = spawnSync(process.execPath, [cli, 'chat', '-o', out], { input: '/history\n', encoding: 'utf8' });
  assert.equal(second.status, 1);
  assert.match(second.stderr, /already holds a session .*session\.json.*--session .*--force/);
  // a live chat holds its folder: a second one with --session is refused while it runs
  const live = spawn(process.execPath, [cli, 'chat', '-o', join(dir, 'live')], { stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise<void>((res) => live.stdout.once('data', () => res()));
  try {
    const other = spawnSync(process.execPath, [cli, 'chat', '-o', join(dir, 'live'), '--force'], {
      input: '/history\n',
      encoding: 'utf8',
    });
    assert.equal(other.status, 1);
    assert.match(other.stderr, new RegExp(`is in use by process ${live.pid} \\(chat`));
  } finally {
    live.stdin.end();
    await new Promise((res) => live.once('exit', res));
  }
});
