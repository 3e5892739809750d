// Trains a byte-level BPE (bpe.ts) on a corpus of strings: counts unique pre-tokens once, then merges the
// most frequent adjacent pair greedily until the vocabulary reaches its target size.
//
// Speed: pair counts are kept incrementally. Each pair remembers which unique words contain it, so a merge
// only revisits those words and applies the net change in pair counts; the best pair comes from a max-heap
// with lazy deletion (an entry is skipped when its count is no longer current). Ties are broken by the
// smaller (a, b) so training is deterministic. Written by hand for the reasons given in pretokenize.ts.
import { BpeTokenizer, DEFAULT_SPECIAL_TOKENS, MAX_TEXT_VOCAB, type Merge, pairKey } from './bpe.js';
import { specialSplitter, splitWords } from './pretokenize.js';

export type TrainOptions = {
  /** Target vocabulary size, counting the 256 bytes, the merges and the special tokens (e.g. 512..4096). */
  vocabSize: number;
  /** Special tokens, in id order (default DEFAULT_SPECIAL_TOKENS). */
  specialTokens?: readonly string[];
  /** More special tokens appended after specialTokens. */
  extraSpecialTokens?: readonly string[];
  /** Stop early when the best pair occurs fewer times than this (default 2). */
  minFrequency?: number;
};

export type TrainStats = {
  /** Pre-tokens seen in the corpus, and how many distinct ones. */
  words: number;
  uniqueWords: number;
  merges: number;
  /** True when training stopped before vocabSize because no pair reached minFrequency. */
  stoppedEarly: boolean;
  seconds: number;
};

const PAIR_STRIDE = MAX_TEXT_VOCAB; // must match pairKey in bpe.ts

/** Counts distinct pre-tokens of a corpus. Special-token text is treated as a boundary and dropped. */
export function countWords(corpus: Iterable<string>, specials: readonly string[]): Map<string, number> {
  const split = specialSplitter(specials);
  const counts = new Map<string, number>();
  for (const text of corpus) {
    for (const seg of split(text)) {
      if (seg.special) continue;
      for (const w of splitWords(seg.text)) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

export function trainBpe(corpus: Iterable<string>, opts: TrainOptions): { tokenizer: BpeTokenizer; stats: TrainStats } {
  const t0 = performance.now();
  const specials = [...(opts.specialTokens ?? DEFAULT_SPECIAL_TOKENS), ...(opts.extraSpecialTokens ?? [])];
  const numMerges = opts.vocabSize - 256 - specials.length;
  if (!Number.isInteger(opts.vocabSize) || numMerges < 0) {
    throw new RangeError(
      `vocabSize ${opts.vocabSize} is too small: it must be an integer of at least 256 bytes + ${specials.length} special tokens = ${256 + specials.length}`,
    );
  }
  const minFrequency = opts.minFrequency ?? 2;

  const counts = countWords(corpus, specials);
  // All unique words' symbols live in one Int32Array (words only shrink as they merge, so in place works;
  // one flat array keeps the hot loop cache-friendly): word w is sym[start[w] .. start[w] + len[w]).
  const encoder = new TextEncoder();
  const nWords = counts.size;
  const start = new Int32Array(nWords + 1);
  const len = new Int32Array(nWords);
  const freq = new Float64Array(nWords);
  const bytes: Uint8Array[] = [];
  let total = 0;
  let w0 = 0;
  for (const [w, c] of counts) {
    const b = encoder.encode(w);
    bytes.push(b);
    start[w0 + 1] = start[w0] + b.length;
    len[w0] = b.length;
    freq[w0++] = c;
    total += c;
  }
  const sym = new Int32Array(start[nWords]);
  bytes.forEach((b, w) => {
    sym.set(b, start[w]);
  });
  bytes.length = 0;

  // pair -> total count, pair -> words that (may) contain it; where-lists can hold stale or repeated entries.
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  const note = (k: number, w: number): void => {
    const list = where.get(k);
    if (!list) where.set(k, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  for (let w = 0; w < nWords; w++) {
    for (let i = start[w]; i + 1 < start[w] + len[w]; i++) {
      const k = pairKey(sym[i], sym[i + 1]);
      pairCount.set(k, (pairCount.get(k) ?? 0) + freq[w]);
      note(k, w);
    }
  }
  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push(c, k);

  const merges: Merge[] = [];
  const seen = new Int32Array(nWords).fill(-1); // last merge that visited each word
  let stoppedEarly = false;
  const delta = new Map<number, number>(); // net change of pair counts during one merge
  const bump = (k: number, d: number): void => {
    delta.set(k, (delta.get(k) ?? 0) + d);
  };
  while (merges.length < numMerges) {
    if (heap.size === 0) {
      stoppedEarly = true;
      break;
    }
    const [count, key] = heap.pop();
    if (pairCount.get(key) !== count) continue; // stale heap entry
    if (count < minFrequency) {
      stoppedEarly = true;
      break;
    }
    const a = Math.floor(key / PAIR_STRIDE);
    const b = key - a * PAIR_STRIDE;
    const z = 256 + merges.length;
    merges.push([a, b]);
    delta.clear();
    for (const w of where.get(key) ?? []) {
      if (seen[w] === z) continue;
      seen[w] = z;
      const f = freq[w];
      const s0 = start[w];
      const end = s0 + len[w];
      let n = s0; // merge in place: sym[s0 .. n) is the new word
      for (let i = s0; i < end; i++) {
        if (i + 1 < end && sym[i] === a && sym[i + 1] === b) {
          // the pairs around this occurrence change: (x, a) -> (x, z) and (b, y) -> (z, y)
          if (n > s0) {
            const left = sym[n - 1];
            if (left !== z) bump(pairKey(left, a), -f); // else (b, a) went with the previous occurrence
            bump(pairKey(left, z), f);
            note(pairKey(left, z), w);
          }
          sym[n++] = z;
          i++;
          if (i + 1 < end) bump(pairKey(b, sym[i + 1]), -f);
        } else {
          if (n > s0 && sym[n - 1] === z) {
            bump(pairKey(z, sym[i]), f);
            note(pairKey(z, sym[i]), w);
          }
          sym[n++] = sym[i];
        }
      }
      if (n === end) continue; // stale where-entry: the pair is no longer in this word
      bump(key, -f * (end - n));
      len[w] = n - s0;
    }
    where.delete(key);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const c = (pairCount.get(k) ?? 0) + d;
      if (c > 0) {
        pairCount.set(k, c);
        heap.push(c, k);
      } else {
        pairCount.delete(k);
        where.delete(k);
      }
    }
  }

  const tokenizer = new BpeTokenizer(merges, specials);
  const seconds = (performance.now() - t0) / 1000;
  return {
    tokenizer,
    stats: { words: total, uniqueWords: nWords, merges: merges.length, stoppedEarly, seconds },
  };
}

/** Max-heap of (count, pair key): highest count first, then the smallest key, so ties are deterministic. */
class PairHeap {
  private readonly c: number[] = [];
  private readonly k: number[] = [];
  get size(): number {
    return this.c.length;
  }
  private above(c1: number, k1: number, c2: number, k2: number): boolean {
    return c1 > c2 || (c1 === c2 && k1 < k2);
  }
  push(count: number, key: number): void {
    const { c, k } = this;
    let i = c.length;
    c.push(count);
    k.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(count, key, c[p], k[p])) break;
      c[i] = c[p];
      k[i] = k[p];
      i = p;
    }
    c[i] = count;
    k[i] = key;
  }
  pop(): [number, number] {
    const { c, k } = this;
    const top: [number, number] = [c[0], k[0]];
    const lc = c.pop()!;
    const lk = k.pop()!;
    const n = c.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let ch = 2 * i + 1;
        if (ch >= n) break;
        if (ch + 1 < n && this.above(c[ch + 1], k[ch + 1], c[ch], k[ch])) ch++;
        if (!this.above(c[ch], k[ch], lc, lk)) break;
        c[i] = c[ch];
        k[i] = k[ch];
        i = ch;
      }
      c[i] = lc;
      k[i] = lk;
    }
    return top;
  }
}
