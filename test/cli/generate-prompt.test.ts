// `tessera generate` and the prompt reader: a paraphrase is sent in the trained phrasing (said on stderr),
// --raw-prompt keeps the user's text, and a prompt from outside the world gets a notice naming its words.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'tessera-prompt-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../../src/cli/index.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

test('a paraphrase is sent in the trained phrasing, and says so', () => {
  const r = run('generate', 'a large red circle at the center on a white background', '-n', '1', '-o', join(dir, 'a'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /trained phrasing: "draw a large red circle at the center, on a white background"/);
});

test('--raw-prompt keeps the text as written', () => {
  const r = run('generate', 'a large red circle at the center', '--raw-prompt', '-n', '1', '-o', join(dir, 'b'));
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /trained phrasing/);
});

test('a prompt from outside the world: a notice naming the words, the text sent as written', () => {
  const r = run('generate', 'a photo of a cat on a sofa', '-n', '1', '-o', join(dir, 'c'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /note: the model cannot draw "photo", "cat", "sofa"/);
  assert.doesNotMatch(r.stderr, /trained phrasing/);
});
