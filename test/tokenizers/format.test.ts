// tessera-bpe JSON files: save/load round trip, atomic writes, and refusal of broken files with messages
// that name the file, the field and what to do.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadTokenizer, saveTokenizer, TokenizerFileError, trainBpe } from '../../src/tokenizers/index.js';
import { englishLike } from './corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-tok-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const { tokenizer } = trainBpe(englishLike(1500, 11), { vocabSize: 400, extraSpecialTokens: ['<|tool|>'] });

function saved(): { path: string; json: Record<string, unknown> } {
  const path = join(dir, 'tokenizer.json');
  saveTokenizer(tokenizer, path);
  return { path, json: JSON.parse(readFileSync(path, 'utf8')) };
}

function refuses(name: string, text: string, re: RegExp): void {
  const path = join(dir, name);
  writeFileSync(path, text);
  assert.throws(
    () => loadTokenizer(path),
    (e: unknown) => {
      assert.ok(e instanceof TokenizerFileError, String(e));
      assert.match(e.message, re);
      assert.match(e.message, new RegExp(`^${name.replace('.', '\\.')}: `));
      assert.match(e.message, /tessera tokenizer train-text/);
      return true;
    },
  );
}

describe('tokenizer file format', () => {
  test('save then load gives identical encodings', () => {
    const { path, json } = saved();
    assert.equal(json.format, 'tessera-bpe');
    assert.equal(json.version, 1);
    assert.equal(json.vocab_size, tokenizer.vocabSize);
    const loaded = loadTokenizer(path);
    assert.deepEqual(loaded.merges, tokenizer.merges);
    assert.deepEqual([...loaded.specialTokens], [...tokenizer.specialTokens]);
    for (const s of [...englishLike(50, 12), 'é日🍌 <|tool|><|user|>']) {
      assert.deepEqual(loaded.encode(s, { allowSpecial: true }), tokenizer.encode(s, { allowSpecial: true }));
    }
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.tmp')),
      [],
      'no temp file left behind',
    );
  });

  test('refuses truncated JSON with a clear message', () => {
    const text = readFileSync(saved().path, 'utf8');
    refuses('cut.json', text.slice(0, Math.floor(text.length / 2)), /not valid JSON .*truncated/);
    refuses('empty.json', '', /not valid JSON/);
  });

  test('refuses a wrong format or version', () => {
    const { json } = saved();
    refuses(
      'fmt.json',
      JSON.stringify({ ...json, format: 'hf-tokenizers' }),
      /format is "hf-tokenizers", expected "tessera-bpe"/,
    );
    refuses('ver.json', JSON.stringify({ ...json, version: 2 }), /version is 2, this build reads version 1/);
    refuses('arr.json', '[]', /is not a JSON object/);
  });

  test('refuses merges that refer to ids not yet made, or repeat', () => {
    const { json } = saved();
    const merges = json.merges as number[][];
    const bad = merges.map((m) => [...m]);
    bad[12] = [9999, 1];
    refuses(
      'range.json',
      JSON.stringify({ ...json, merges: bad }),
      /merges\[12\] refers to id 9999 but only 268 ids \(0\.\.267\) exist/,
    );
    const dup = merges.map((m) => [...m]);
    dup[20] = [...dup[3]];
    refuses('dup.json', JSON.stringify({ ...json, merges: dup }), /merges\[20\] \[\d+, \d+\] repeats merges\[3\]/);
    refuses(
      'shape.json',
      JSON.stringify({ ...json, merges: [[1, 2, 3]] }),
      /merges\[0\] is \[1,2,3\], expected \[a, b\]/,
    );
  });

  test('refuses duplicate, out-of-range special ids and a wrong vocab_size', () => {
    const { json } = saved();
    const st = { ...(json.special_tokens as Record<string, number>) };
    const first = st['<|user|>'];
    refuses(
      'dupid.json',
      JSON.stringify({ ...json, special_tokens: { ...st, '<|model|>': first } }),
      /duplicate special id/,
    );
    refuses(
      'range2.json',
      JSON.stringify({ ...json, special_tokens: { ...st, '<|model|>': 5 } }),
      /special_tokens\["<\|model\|>"\] is 5, expected an id in/,
    );
    refuses(
      'vocab.json',
      JSON.stringify({ ...json, vocab_size: 9000 }),
      /vocab_size is 9000 but 256 bytes \+ 135 merges \+ 9 special tokens = 400/,
    );
  });

  test('a missing file names the path', () => {
    assert.throws(() => loadTokenizer(join(dir, 'nope.json')), /nope\.json: cannot be read: does not exist/);
  });
});
