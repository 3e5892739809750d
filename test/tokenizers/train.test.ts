// BPE training: deterministic, agrees with a naive full-recount trainer, and compresses held-out text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countWords, DEFAULT_SPECIAL_TOKENS, type Merge, pairKey, trainBpe } from '../../src/tokenizers/index.js';
import { englishLike } from './corpus.js';

/** Reference trainer: recount every pair after every merge; ties go to the smaller (a, b). */
function naiveTrain(corpus: string[], numMerges: number): Merge[] {
  const words = [...countWords(corpus, DEFAULT_SPECIAL_TOKENS)].map(
    ([w, c]) => [Array.from(new TextEncoder().encode(w)), c] as [number[], number],
  );
  const merges: Merge[] = [];
  while (merges.length < numMerges) {
    const counts = new Map<number, number>();
    for (const [s, c] of words)
      for (let i = 0; i + 1 < s.length; i++) {
        const k = pairKey(s[i], s[i + 1]);
        counts.set(k, (counts.get(k) ?? 0) + c);
      }
    let best = -1;
    let bestCount = 1; // minFrequency 2
    for (const [k, c] of counts)
      if (c > bestCount || (c === bestCount && c > 1 && k < best)) [best, bestCount] = [k, c];
    if (best < 0) break;
    const a = Math.floor(best / 0x10000);
    const b = best % 0x10000;
    const z = 256 + merges.length;
    merges.push([a, b]);
    for (const ws of words) {
      const s = ws[0];
      const t: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          t.push(z);
          i++;
        } else t.push(s[i]);
      }
      ws[0] = t;
    }
  }
  return merges;
}

describe('trainBpe', () => {
  test('is deterministic', () => {
    const corpus = englishLike(2000, 3);
    const a = trainBpe(corpus, { vocabSize: 600 }).tokenizer;
    const b = trainBpe(corpus, { vocabSize: 600 }).tokenizer;
    assert.deepEqual(a.merges, b.merges);
    assert.equal(a.merges.length, 600 - 256 - DEFAULT_SPECIAL_TOKENS.length);
  });

  test('incremental counting gives the same merges as a naive full recount', () => {
    const corpus = [...englishLike(400, 4), 'aaaa aaaaa ababab baba 🍌🍌🍌 日本日本', 'zzz zzzz zzzzz'];
    const fast = trainBpe(corpus, { vocabSize: 256 + 8 + 200 }).tokenizer.merges;
    assert.deepEqual(fast, naiveTrain(corpus, 200));
  });

  test('merges reduce the token count on held-out text of the same distribution', () => {
    const { tokenizer, stats } = trainBpe(englishLike(5000, 5), { vocabSize: 1024 });
    const held = englishLike(500, 6).join('\n');
    const bytes = new TextEncoder().encode(held).length;
    const perToken = bytes / tokenizer.encode(held).length;
    assert.ok(perToken > 2.5, `held-out bytes/token ${perToken.toFixed(2)} should be > 2.5`);
    assert.equal(stats.merges, 1024 - 256 - 8);
    assert.ok(stats.seconds < 5);
  });

  test('special-token text in the corpus is never merged into, extra specials get ids after defaults', () => {
    const corpus = Array.from({ length: 200 }, () => '<|user|>hello<|model|>hi<|end|><|tool|>');
    const { tokenizer } = trainBpe(corpus, { vocabSize: 300, extraSpecialTokens: ['<|tool|>'] });
    const pieces = tokenizer.merges.map((_, i) => tokenizer.decode([256 + i]));
    assert.ok(
      pieces.every((p) => !p.includes('<|') && !p.includes('|>')),
      pieces.join(' '),
    );
    assert.equal(tokenizer.specialId('<|tool|>'), tokenizer.vocabSize - 1);
  });

  test('stops early when no pair repeats, and rejects a too-small vocab', () => {
    const { stats, tokenizer } = trainBpe(['ab'], { vocabSize: 1000 });
    assert.equal(stats.stoppedEarly, true);
    assert.equal(tokenizer.merges.length, 0);
    assert.throws(() => trainBpe(['x'], { vocabSize: 260 }), /vocabSize 260 is too small.*264/);
  });
});
