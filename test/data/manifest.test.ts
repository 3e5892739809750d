// The JSONL manifest: valid files load; every problem is reported with its line and field; nothing half-loaded.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodePng, loadManifest, validateManifest } from '../../src/data/index.js';

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tessera-manifest-'));
  const img = { width: 4, height: 4, data: new Uint8Array(48).fill(128) };
  writeFileSync(join(d, 'a.png'), encodePng(img));
  writeFileSync(join(d, 'b.png'), encodePng({ ...img, data: new Uint8Array(48).fill(30) }));
  writeFileSync(join(d, 'notes.png'), 'this is not a png');
  return d;
}

test('a valid manifest loads captions and edit pairs at the model size', () => {
  const d = dir();
  const path = join(d, 'm.jsonl');
  writeFileSync(
    path,
    [
      JSON.stringify({ image: 'a.png', caption: 'a gray square' }),
      '',
      JSON.stringify({ source: 'a.png', target: 'b.png', instruction: 'make it darker', split: 'heldout' }),
    ].join('\n'),
  );
  const r = loadManifest(path);
  assert.ok(r.ok, JSON.stringify(r));
  if (!r.ok) return;
  assert.equal(r.items.length, 2);
  assert.equal(r.items[0].segments[0].image!.pixels.width, 64);
  assert.equal(r.items[1].split, 'heldout');
});

test('every problem is listed with line and field, and nothing is loaded', () => {
  const d = dir();
  const path = join(d, 'bad.jsonl');
  writeFileSync(
    path,
    [
      JSON.stringify({ image: 'a.png', caption: 'fine' }),
      JSON.stringify({ image: 'missing.png', caption: 'x' }),
      JSON.stringify({ image: 'notes.png', caption: 'x' }),
      JSON.stringify({ image: 'a.png', caption: 7 }),
      '{not json',
      JSON.stringify({ source: 'a.png', target: 'b.png', instruction: '', extra: 1 }),
      JSON.stringify({ image: 'a.png', caption: 'x', split: 'test' }),
    ].join('\n'),
  );
  const r = validateManifest(path);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const got = r.problems.map((p) => `${p.line}:${p.field ?? ''}`);
  assert.deepEqual(got, ['2:image', '3:image', '4:caption', '5:', '6:extra', '6:instruction', '7:split']);
  assert.match(r.problems[0].message, /not found/);
  assert.match(r.problems[1].message, /not a PNG/);
  assert.equal(loadManifest(path).ok, false);
});

test('question/answer lines load as vqa items; with bothDirections a caption is also a text-to-image item', () => {
  const d = dir();
  const path = join(d, 'qa.jsonl');
  writeFileSync(
    path,
    [
      JSON.stringify({ image: 'a.png', caption: 'a gray square' }),
      JSON.stringify({ image: 'b.png', question: 'is it dark?', answer: 'yes', split: 'heldout' }),
      JSON.stringify({ source: 'a.png', target: 'b.png', instruction: 'make it darker' }),
    ].join('\n'),
  );
  const plain = loadManifest(path);
  assert.ok(plain.ok, JSON.stringify(plain));
  if (!plain.ok) return;
  assert.deepEqual(
    plain.items.map((it) => it.task),
    ['caption', 'vqa', 'edit'],
  );
  assert.equal(plain.items[1].segments[1].text, 'is it dark?');
  assert.equal(plain.items[1].segments[2].text, 'yes');
  assert.equal(plain.items[1].split, 'heldout');
  const both = loadManifest(path, { bothDirections: true });
  assert.ok(both.ok);
  if (!both.ok) return;
  assert.deepEqual(
    both.items.map((it) => it.task),
    ['caption', 't2i', 'vqa', 'edit'],
  );
  const t2i = both.items[1];
  assert.deepEqual(
    t2i.segments.map((s) => `${s.role}:${s.kind}`),
    ['user:text', 'model:image'],
  );
  assert.equal(t2i.segments[0].text, 'a gray square');
  assert.equal(t2i.segments[1].image!.pixels.width, 64);
});

test('question/answer lines are refused naming line and field', () => {
  const d = dir();
  const path = join(d, 'badqa.jsonl');
  writeFileSync(
    path,
    [
      JSON.stringify({ image: 'a.png', question: 'what?' }),
      JSON.stringify({ image: 'a.png', question: '', answer: 'x' }),
      JSON.stringify({ image: 'a.png', question: 'q', answer: 'a', caption: 'c' }),
      JSON.stringify({ question: 'q', answer: 'a' }),
    ].join('\n'),
  );
  const r = validateManifest(path);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(
    r.problems.map((p) => `${p.line}:${p.field ?? ''}`),
    ['1:answer', '2:question', '3:caption', '4:image'],
  );
  assert.match(
    r.problems[2].message,
    /unknown field for a question\/answer line \(allowed: image, question, answer, split\)/,
  );
});
