// Byte-level BPE text tokenizer: ids 0..255 are the raw UTF-8 bytes, merge i makes id 256+i from a pair
// of earlier ids, and the special tokens (`<|user|>`, `<|image|>`, ...) take the ids after the merges.
// Any string round-trips exactly (decode(encode(s)) === s) because every byte has an id.
//
// Encoding: text -> segments (special tokens cut out only when allowSpecial) -> pre-tokens (see
// pretokenize.ts) -> per pre-token, merges applied lowest rank first with a min-heap over a linked
// list of symbols (O(n log n) in the word length, so a 100 kB run without spaces is fine; short words
// use a plain scan, which is faster for them), memoised per pre-token string. Written by hand for the same reasons as pretokenize.ts: small, no dependency,
// browser-safe, and it must agree byte for byte with the trainer (train.ts) and the file format.
import { PRETOKENIZER, type Segment, specialSplitter, splitWords } from './pretokenize.js';

/** The special tokens every tessera text tokenizer has, in id order (after the merges). */
export const DEFAULT_SPECIAL_TOKENS: readonly string[] = Object.freeze([
  '<|user|>',
  '<|model|>',
  '<|image|>',
  '<|/image|>',
  '<|end|>',
  '<|pad|>',
  '<|turn|>',
  '<|plan|>',
]);

/** A merge: the two ids whose concatenation becomes the new id 256 + (index of the merge). */
export type Merge = readonly [number, number];

export type EncodeOptions = {
  /** Cut special-token strings out of the text as single ids (default false: they are encoded as bytes). */
  allowSpecial?: boolean;
};

/** Text tokenizers have at most this many ids (so token caches can use uint16 for pure text). */
export const MAX_TEXT_VOCAB = 0x10000;
// a * PAIR_STRIDE + b is unique; below 2^31 (a V8 small integer, fast as a Map key) while ids < 32768.
const PAIR_STRIDE = MAX_TEXT_VOCAB;
const POS_STRIDE = 0x4000000; // heap key = rank * POS_STRIDE + position; words up to 64 MiB
const CACHE_MAX_ENTRIES = 200_000;
const CACHE_MAX_WORD = 256; // longer pre-tokens are not memoised
const SHORT_WORD = 24; // pre-tokens up to this many bytes use the simple scan, longer ones the heap

export function pairKey(a: number, b: number): number {
  return a * PAIR_STRIDE + b;
}

const utf8 = new TextEncoder();

export class BpeTokenizer {
  /** The pre-tokeniser this tokenizer was built for (see pretokenize.ts). */
  readonly pretokenizer = PRETOKENIZER;
  readonly merges: readonly Merge[];
  /** special token text -> id, in id order. */
  readonly specialTokens: ReadonlyMap<string, number>;
  /** 256 bytes + merges + special tokens. */
  readonly vocabSize: number;
  private readonly ranks = new Map<number, number>();
  private readonly bytesOf: Uint8Array[] = [];
  private readonly specialText = new Map<number, string>();
  private readonly split: (text: string) => Segment[];
  private readonly cache = new Map<string, number[]>();

  constructor(merges: readonly Merge[], specials: readonly string[] = DEFAULT_SPECIAL_TOKENS) {
    this.merges = Object.freeze(merges.map(([a, b]) => Object.freeze([a, b] as const)));
    for (let i = 0; i < 256; i++) this.bytesOf.push(Uint8Array.of(i));
    merges.forEach(([a, b], i) => {
      const id = 256 + i;
      if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < id && b < id)) {
        throw new RangeError(`merge ${i} is [${a}, ${b}] but only ids 0..${id - 1} exist before it`);
      }
      if (this.ranks.has(pairKey(a, b))) throw new RangeError(`merge ${i} [${a}, ${b}] repeats an earlier merge`);
      this.ranks.set(pairKey(a, b), i);
      const x = this.bytesOf[a];
      const y = this.bytesOf[b];
      const bytes = new Uint8Array(x.length + y.length);
      bytes.set(x);
      bytes.set(y, x.length);
      this.bytesOf.push(bytes);
    });
    const special = new Map<string, number>();
    for (const s of specials) {
      if (s.length === 0) throw new RangeError('a special token must not be empty');
      if (special.has(s)) throw new RangeError(`special token ${s} is listed twice`);
      const id = 256 + merges.length + special.size;
      special.set(s, id);
      this.specialText.set(id, s);
    }
    if (256 + merges.length + special.size > MAX_TEXT_VOCAB) {
      throw new RangeError(`vocab of ${256 + merges.length + special.size} ids is over the ${MAX_TEXT_VOCAB} limit`);
    }
    this.specialTokens = special;
    this.vocabSize = 256 + merges.length + special.size;
    this.split = specialSplitter([...special.keys()]);
  }

  /** The id of a special token; throws if this tokenizer does not have it. */
  specialId(token: string): number {
    const id = this.specialTokens.get(token);
    if (id === undefined) throw new RangeError(`no special token ${token} (have ${[...this.specialTokens.keys()]})`);
    return id;
  }

  /** Text -> token ids. Special-token text becomes one id only with allowSpecial. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    const segments: Segment[] = opts.allowSpecial ? this.split(text) : [{ text, special: false }];
    for (const seg of segments) {
      if (seg.special) out.push(this.specialTokens.get(seg.text)!);
      else for (const word of splitWords(seg.text)) for (const id of this.encodeWord(word)) out.push(id);
    }
    return out;
  }

  /** Token ids -> the raw UTF-8 bytes they stand for (special tokens as their text). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const special = this.specialText.get(id);
      const bytes = special !== undefined ? utf8.encode(special) : this.bytesOf[id];
      if (bytes === undefined)
        throw new RangeError(`token id ${id} at position ${i} is outside 0..${this.vocabSize - 1}`);
      parts.push(bytes);
      n += bytes.length;
    }
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Token ids -> text. Bytes are joined before UTF-8 decoding, so a character split across ids is kept;
   * an incomplete sequence at the ends becomes U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    return new TextDecoder('utf-8').decode(this.decodeBytes(ids));
  }

  private encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = this.mergeBytes(utf8.encode(word));
    if (word.length <= CACHE_MAX_WORD) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }

  /** Short words: scan for the lowest-rank adjacent pair and merge it, until none is left (O(n^2), no heap). */
  private mergeShort(s: number[]): number[] {
    for (;;) {
      let best = -1;
      let at = -1;
      for (let i = 0; i + 1 < s.length; i++) {
        const r = this.ranks.get(pairKey(s[i], s[i + 1]));
        if (r !== undefined && (best < 0 || r < best)) [best, at] = [r, i];
      }
      if (best < 0) return s;
      s.splice(at, 2, 256 + best);
    }
  }

  /** Applies merges to one pre-token's bytes, lowest rank first, leftmost first among equal ranks. */
  private mergeBytes(bytes: Uint8Array): number[] {
    const n = bytes.length;
    if (n < 2) return Array.from(bytes);
    if (n <= SHORT_WORD) return this.mergeShort(Array.from(bytes));
    if (n >= POS_STRIDE) throw new RangeError(`a pre-token of ${n} bytes is over the ${POS_STRIDE} limit`);
    const ids = Int32Array.from(bytes);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new MinHeap();
    const rankAt = (i: number): number => {
      const j = next[i];
      return j < 0 ? -1 : (this.ranks.get(pairKey(ids[i], ids[j])) ?? -1);
    };
    const push = (i: number): void => {
      const r = rankAt(i);
      if (r >= 0) heap.push(r * POS_STRIDE + i);
    };
    for (let i = 0; i < n - 1; i++) push(i);
    while (heap.size > 0) {
      const key = heap.pop();
      const r = Math.floor(key / POS_STRIDE);
      const i = key - r * POS_STRIDE;
      if (ids[i] < 0 || rankAt(i) !== r) continue; // stale entry: the pair changed since it was pushed
      const j = next[i];
      ids[i] = 256 + r;
      ids[j] = -1;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) push(prev[i]);
      push(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(ids[i]);
    return out;
  }
}

/** A binary min-heap of numbers (used for (rank, position) keys). */
export class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= x) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      const n = a.length;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && a[c + 1] < a[c]) c++;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
