// Text BPE: lossless round trips on any UTF-8 text, special-token handling, and agreement of the
// heap-based encoder with a naive "apply merges in order" reference.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BpeTokenizer, DEFAULT_SPECIAL_TOKENS, type Merge, splitWords, trainBpe } from '../../src/tokenizers/index.js';
import { englishLike, rng } from './corpus.js';

const { tokenizer: tok } = trainBpe(englishLike(3000, 1), { vocabSize: 700 });

const SAMPLES = [
  'Hello, world!',
  '',
  ' ',
  '    leading and trailing   ',
  'tabs\tand\nnew\n\nlines\r\n',
  'café, naïve, Straße, ß',
  '日本語のテキスト',
  'emoji 🍌🍌 and 👩‍👩‍👧 family',
  'mixed: é日🍌 x=3.14, y=-2e10 #tag @user',
  "it's we'll they've I'd",
  '<|user|> describe <|image|><|/image|> please<|end|>',
];

/** Reference encoder: for each pre-token, apply every merge in order, left to right. */
function naiveEncode(merges: readonly Merge[], text: string): number[] {
  const out: number[] = [];
  for (const w of splitWords(text)) {
    let s = Array.from(new TextEncoder().encode(w));
    merges.forEach(([a, b], r) => {
      const t: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          t.push(256 + r);
          i++;
        } else t.push(s[i]);
      }
      s = t;
    });
    out.push(...s);
  }
  return out;
}

describe('BpeTokenizer', () => {
  test('round-trips ASCII, non-ASCII, empty and whitespace strings', () => {
    for (const s of SAMPLES) {
      assert.equal(tok.decode(tok.encode(s)), s, JSON.stringify(s));
      assert.equal(tok.decode(tok.encode(s, { allowSpecial: true })), s, JSON.stringify(s));
    }
    assert.deepEqual(tok.encode(''), []);
  });

  test('round-trips random code points (all planes, no lone surrogates)', () => {
    const r = rng(7);
    for (let n = 0; n < 200; n++) {
      let s = '';
      const len = Math.floor(r() * 30);
      for (let i = 0; i < len; i++) {
        let cp = Math.floor(r() * 0x110000);
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x20;
        s += String.fromCodePoint(cp);
      }
      assert.equal(tok.decode(tok.encode(s)), s);
    }
  });

  test('special-token text is plain bytes unless allowSpecial', () => {
    const s = 'hi <|user|> there <|plan|>';
    const plain = tok.encode(s);
    const special = tok.encode(s, { allowSpecial: true });
    const user = tok.specialId('<|user|>');
    const plan = tok.specialId('<|plan|>');
    assert.ok(!plain.includes(user) && !plain.includes(plan));
    assert.ok(plain.every((id) => id < 256 + tok.merges.length));
    assert.equal(special.filter((id) => id === user).length, 1);
    assert.equal(special[special.length - 1], plan);
    assert.equal(tok.decode(plain), s);
    assert.equal(tok.decode(special), s);
  });

  test('special tokens take the ids after the merges, in order', () => {
    assert.deepEqual([...tok.specialTokens.keys()], [...DEFAULT_SPECIAL_TOKENS]);
    assert.equal(tok.specialId('<|user|>'), 256 + tok.merges.length);
    assert.equal(tok.vocabSize, 700);
    assert.throws(() => tok.specialId('<|nope|>'), /no special token <\|nope\|>/);
  });

  test('decode joins bytes before UTF-8 decoding, so split characters survive', () => {
    const bytesOnly = new BpeTokenizer([], []);
    const ids = bytesOnly.encode('é🍌');
    assert.equal(ids.length, 6); // 2 + 4 bytes
    assert.equal(bytesOnly.decode(ids), 'é🍌');
    assert.equal(bytesOnly.decode(ids.slice(0, 1)), '\ufffd'); // half a character alone
    assert.throws(() => bytesOnly.decode([256]), /token id 256 at position 0 is outside 0\.\.255/);
  });

  test('heap encoder agrees with the naive reference', () => {
    const texts = [...SAMPLES, ...englishLike(300, 9), 'aaaaaaaaaaaaaaa', 'eeeeeeee   ssss'];
    for (const s of texts) assert.deepEqual(tok.encode(s), naiveEncode(tok.merges, s), JSON.stringify(s));
  });

  test('long runs without spaces encode quickly and losslessly', () => {
    const s = 'the'.repeat(30000) + '🍌'.repeat(5000);
    const t0 = performance.now();
    const ids = tok.encode(s);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(tok.decode(ids), s);
  });

  test('extra special tokens: longest match wins', () => {
    const t = new BpeTokenizer([], [...DEFAULT_SPECIAL_TOKENS, '<|img|>', '<|img|>x']);
    const ids = t.encode('a<|img|>x<|img|>', { allowSpecial: true });
    assert.deepEqual(ids, [97, t.specialId('<|img|>x'), t.specialId('<|img|>')]);
    assert.throws(() => new BpeTokenizer([], ['<|a|>', '<|a|>']), /listed twice/);
  });
});
