// The text tokenizer as a Hugging Face tokenizer.json: the shipped model's tokenizer, exported, loaded by
// the real `@huggingface/tokenizers` library (tokenizers.js), gives the same ids as ours on the world's
// prompts and captions and on odd text, and decodes back; importing the export gives our tokenizer back;
// files with another pipeline or id layout are refused naming the field.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { makeWorldItem, WORLD_TASKS } from '../../src/data/index.js';
import { defaultModelDir } from '../../src/model/index.js';
import {
  BpeTokenizer,
  loadHfTokenizer,
  loadTokenizer,
  saveHfTokenizer,
  tokenizerFromHf,
  tokenizerToHf,
  tokenizerToJson,
} from '../../src/tokenizers/index.js';

const ours = loadTokenizer(join(defaultModelDir(), 'tokenizer.json'));
const exported = tokenizerToHf(ours);
const hf = new Tokenizer(exported, { clean_up_tokenization_spaces: false });

/** The world's prompts and answers (every task, held-out and training scenes), plus odd text. */
function corpus(): string[] {
  const out: string[] = [];
  for (const task of WORLD_TASKS)
    for (const split of ['train', 'heldout'] as const)
      for (let i = 0; i < 15; i++)
        for (const s of makeWorldItem(task, split, 13, i).segments) if (s.text) out.push(s.text);
  out.push(
    'Héllo wörld — naïve café, ÅNGSTRÖM, Straße',
    '日本語のテキスト、中文字符，한국어 문장',
    'emoji 🍌🍌 👩‍👩‍👧 🇫🇷 ❤️ and 🏳️‍🌈!',
    '   leading spaces, trailing spaces   ',
    'tabs\t\tand\nnew\r\nlines\n\n\n  \n',
    "it's, we're, they'll, I'd, you've, I'm, can't — 'quoted' THE END'S",
    'CAPITALS MixedCase camelCaseWords snake_case_words',
    'digits 0 12 345 6789 3.14159 1,000,000 ٣٤٥ ½',
    'punctuation!!! ??? ... --- ((())) [x] {y} <z> @#$%^&*',
    '<|user|>draw a red circle<|end|><|model|><|image|><|/image|><|pad|><|turn|><|plan|>',
    'half <|user and |> apart, <|<|end|>|> nested, <|unknown|>',
    '',
    ' ',
    '\u00a0non-breaking\u2003em space\u3000ideographic',
    'a'.repeat(300),
  );
  return out;
}

test('tokenizers.js gives the same ids as ours on the world corpus and odd text, and decodes back', () => {
  const texts = corpus();
  assert.ok(texts.length > 200, `corpus of ${texts.length}`);
  let tokens = 0;
  for (const text of texts) {
    const want = ours.encode(text, { allowSpecial: true });
    const got = hf.encode(text, { add_special_tokens: false }).ids;
    assert.deepEqual(got, want, JSON.stringify(text));
    if (want.length > 0) assert.equal(hf.decode(want, { skip_special_tokens: false }), text, JSON.stringify(text));
    tokens += want.length;
  }
  assert.ok(tokens > 2000, `${tokens} tokens compared`);
});

test('every id has the same token text both ways, and the pipeline is ByteLevel with the GPT-2 regex', () => {
  const vocab = (exported.model as { vocab: Record<string, number> }).vocab;
  assert.equal(Object.keys(vocab).length, ours.vocabSize);
  for (let id = 0; id < ours.vocabSize; id++)
    assert.equal(hf.decode([id], { skip_special_tokens: false }), ours.decode([id]));
  assert.deepEqual(exported.pre_tokenizer, {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: false,
    use_regex: true,
  });
  const added = exported.added_tokens as { id: number; content: string; special: boolean }[];
  assert.deepEqual(
    added.map((t) => [t.content, t.id, t.special]),
    [...ours.specialTokens].map(([s, id]) => [s, id, true]),
  );
});

test('import(export(x)) equals x, through a file too', () => {
  assert.deepEqual(tokenizerToJson(tokenizerFromHf(exported)), tokenizerToJson(ours));
  const path = join(mkdtempSync(join(tmpdir(), 'tessera-hf-')), 'hf-tokenizer.json');
  saveHfTokenizer(ours, path);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), exported);
  assert.deepEqual(tokenizerToJson(loadHfTokenizer(path)), tokenizerToJson(ours));
  // the newer merges form, pairs as arrays, reads the same
  const model = exported.model as { merges: string[] };
  const arrays = { ...exported, model: { ...model, merges: model.merges.map((m) => m.split(' ')) } };
  assert.deepEqual(tokenizerToJson(tokenizerFromHf(arrays)), tokenizerToJson(ours));
});

test('another pipeline or id layout is refused, naming the field', () => {
  const model = exported.model as Record<string, unknown>;
  const vocab = model.vocab as Record<string, number>;
  const variants: [Record<string, unknown>, RegExp][] = [
    [{ ...exported, normalizer: { type: 'NFC' } }, /normalizer is .*tessera has none/],
    [{ ...exported, pre_tokenizer: { type: 'Whitespace' } }, /pre_tokenizer is .*expected ByteLevel/],
    [{ ...exported, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true } }, /pre_tokenizer\.add_prefix_space/],
    [{ ...exported, model: { ...model, type: 'WordPiece' } }, /model\.type is "WordPiece"/],
    [{ ...exported, model: { ...model, dropout: 0.1 } }, /model\.dropout/],
    [{ ...exported, model: { ...model, byte_fallback: true } }, /model\.byte_fallback/],
    [
      { ...exported, model: { ...model, vocab: { ...vocab, Ā: 5, '\u0005': 0 } } },
      /model\.vocab\["Ā"\] is 5, expected byte 0/,
    ],
    [
      { ...exported, model: { ...model, merges: (model.merges as string[]).slice(1) } },
      /model\.merges\[0\] makes .* expected id 256/,
    ],
    [{ ...exported, model: { ...model, vocab: { ...vocab, extra: 9999 } } }, /model\.vocab has 1 entries/],
  ];
  for (const [raw, why] of variants)
    assert.throws(
      () => tokenizerFromHf(raw, 'x.json'),
      (e: Error) => /^x\.json: /.test(e.message) && why.test(e.message),
    );
});

test('export refuses a tokenizer where two ids would be the same vocab string', () => {
  const t = new BpeTokenizer([
    [97, 98],
    [256, 99],
    [98, 99],
    [97, 258],
  ]); // "abc" made two ways
  assert.throws(() => tokenizerToHf(t), /ids 257 and 259 are both "abc"/);
});
