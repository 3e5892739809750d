// Token cache: a tokenized dataset (sequences of token ids, each with an optional per-token loss weight
// 0..255) stored once in one compact binary file, then read back whole into memory for training.
//
// File layout (little-endian; see docs/tokenizers.md):
//   header, 40 bytes: "TSRA" | u32 version=1 | u32 dtype bytes (2 = uint16 when vocab <= 65536, 4 = uint32)
//                     | u32 flags (bit 0: has masks) | u32 sequences N | u32 vocab size | u64 tokens
//                     | u32 CRC-32 of everything after the header | u32 CRC-32 of header bytes 0..35
//   offsets, (N+1) x u64: sequence i is tokens offsets[i] .. offsets[i+1]
//   data, tokens x dtype;  masks, tokens x u8 (only with flag bit 0)
// Written atomically (temp file, fsync, rename); a truncated or corrupted file is refused with a
// TokenCacheError naming the file, what is wrong and what to do. CRC-32 is the tensor engine's TypeScript
// one (node:zlib's crc32 only exists from Node 20.15/22.2).
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { crc32, Rng } from '../tensor/index.js';

export const MAGIC = 'TSRA';
export const VERSION = 1;
const HEADER_BYTES = 40;
const FLAG_MASK = 1;
const REMAKE = 're-create it from the dataset with TokenCacheWriter';

export class TokenCacheError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    hint: string = REMAKE,
  ) {
    super(`${file}: ${problem}; ${hint}`);
    this.name = 'TokenCacheError';
  }
}

/** CRC-32 (IEEE, as zlib/PNG) of bytes, continuing from `crc` when given (the tensor engine's one copy). */
export { crc32 };

/** A growable typed buffer. */
class Grow<T extends Uint8Array | Uint16Array | Uint32Array> {
  n = 0;
  constructor(
    public a: T,
    private readonly make: (n: number) => T,
  ) {}
  reserve(extra: number): void {
    if (this.n + extra <= this.a.length) return;
    const b = this.make(Math.max(this.n + extra, this.a.length * 2, 1024));
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
  view(): T {
    return this.a.subarray(0, this.n) as T;
  }
}

/** Collects sequences in memory and writes the cache file on finish(). */
export class TokenCacheWriter {
  private readonly data: Grow<Uint16Array> | Grow<Uint32Array>;
  private readonly masks = new Grow(new Uint8Array(0), (n) => new Uint8Array(n));
  private readonly offsets: number[] = [0];
  private anyMask = false;
  private done = false;
  readonly dtypeBytes: 2 | 4;

  constructor(
    readonly path: string,
    readonly vocabSize: number,
  ) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 0xffffffff) {
      throw new RangeError(`vocabSize ${vocabSize} must be an integer in 1..${0xffffffff}`);
    }
    this.dtypeBytes = vocabSize <= 0x10000 ? 2 : 4;
    this.data =
      this.dtypeBytes === 2
        ? new Grow(new Uint16Array(0), (n) => new Uint16Array(n))
        : new Grow(new Uint32Array(0), (n) => new Uint32Array(n));
  }

  get length(): number {
    return this.offsets.length - 1;
  }

  /** Adds one sequence; `mask` (same length, values 0..255) weights each token's loss, default 1. */
  append(ids: ArrayLike<number>, mask?: ArrayLike<number>): void {
    if (this.done) throw new Error(`${this.path}: append after finish()`);
    const seq = this.length;
    if (mask && mask.length !== ids.length) {
      throw new RangeError(`sequence ${seq}: mask has ${mask.length} entries but there are ${ids.length} ids`);
    }
    this.data.reserve(ids.length);
    this.masks.reserve(ids.length);
    const d = this.data.a;
    const m = this.masks.a;
    const at = this.data.n;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(`sequence ${seq}, position ${i}: token id ${id} is outside 0..${this.vocabSize - 1}`);
      }
      d[at + i] = id;
      const w = mask ? mask[i] : 1;
      if (!Number.isInteger(w) || w < 0 || w > 255) {
        throw new RangeError(`sequence ${seq}, position ${i}: mask value ${w} is outside 0..255`);
      }
      m[at + i] = w;
    }
    if (mask) this.anyMask = true;
    this.data.n += ids.length;
    this.masks.n += ids.length;
    this.offsets.push(this.data.n);
  }

  /** Writes the file (temp + fsync + rename) and returns what was written. */
  finish(): { path: string; sequences: number; tokens: number; bytes: number } {
    if (this.done) throw new Error(`${this.path}: finish() called twice`);
    this.done = true;
    const n = this.length;
    const tokens = this.data.n;
    const offsets = new BigUint64Array(n + 1);
    this.offsets.forEach((o, i) => {
      offsets[i] = BigInt(o);
    });
    const data = this.data.view();
    const body = [
      new Uint8Array(offsets.buffer),
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      ...(this.anyMask ? [this.masks.view()] : []),
    ];
    let crc = 0;
    for (const part of body) crc = crc32(part, crc);
    const header = new Uint8Array(HEADER_BYTES);
    const h = new DataView(header.buffer);
    header.set(new TextEncoder().encode(MAGIC), 0);
    h.setUint32(4, VERSION, true);
    h.setUint32(8, this.dtypeBytes, true);
    h.setUint32(12, this.anyMask ? FLAG_MASK : 0, true);
    h.setUint32(16, n, true);
    h.setUint32(20, this.vocabSize, true);
    h.setBigUint64(24, BigInt(tokens), true);
    h.setUint32(32, crc, true);
    h.setUint32(36, crc32(header.subarray(0, 36)), true);
    const tmp = `${this.path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    let bytes = 0;
    try {
      const fd = openSync(tmp, 'w');
      try {
        for (const part of [header, ...body]) bytes += writeSync(fd, part);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return { path: this.path, sequences: n, tokens, bytes };
  }
}

export type BatchOptions = {
  /** Rows per batch, B. */
  batchSize: number;
  /** Tokens per row, T; longer sequences are cut to their first T tokens. */
  seqLen: number;
  /** Id written into padding positions (e.g. the tokenizer's <|pad|>). */
  padId: number;
  /** Shuffle seed; the order is a pure function of (seed, epoch). */
  seed?: number;
  epoch?: number;
  /** false: keep file order. Default true. */
  shuffle?: boolean;
  /** Skip the last batch when it has fewer than B real rows (default false: it is padded with empty rows). */
  dropLast?: boolean;
};

/** One padded batch; every batch has shape (B, T) and rows past `rows` are all padding. */
export type TokenBatch = {
  ids: Int32Array; // (B, T) token ids, padId after each sequence's end
  mask: Uint8Array; // (B, T) loss weight: the sequence's mask (1 when it has none), 0 on padding
  lengths: Int32Array; // (B,) real tokens per row (after cutting to T)
  indices: number[]; // (rows,) which sequences of the cache these rows are
  rows: number;
};

/** A cache file read whole into memory and checked (sizes, header CRC, data CRC) before use. */
export class TokenCacheReader {
  private constructor(
    readonly path: string,
    readonly vocabSize: number,
    readonly totalTokens: number,
    private readonly offsets: Float64Array,
    private readonly data: Uint16Array | Uint32Array,
    private readonly masks: Uint8Array | undefined,
  ) {}

  get length(): number {
    return this.offsets.length - 1;
  }

  get hasMask(): boolean {
    return this.masks !== undefined;
  }

  static open(path: string): TokenCacheReader {
    const fail = (problem: string, hint?: string): never => {
      throw new TokenCacheError(path, problem, hint);
    };
    let file: Buffer;
    try {
      file = readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return fail(`cannot be read (${code ?? String(e)})`, `check the path, or ${REMAKE}`);
    }
    const buf = new Uint8Array(file.length); // fresh ArrayBuffer: aligned for the typed-array views below
    buf.set(file);
    if (buf.length < HEADER_BYTES)
      fail(`is ${buf.length} bytes, shorter than the ${HEADER_BYTES}-byte header (truncated?)`);
    const magic = new TextDecoder().decode(buf.subarray(0, 4));
    if (magic !== MAGIC) fail(`starts with ${JSON.stringify(magic)}, not "${MAGIC}": not a tessera token cache`);
    const h = new DataView(buf.buffer, 0, HEADER_BYTES);
    const version = h.getUint32(4, true);
    if (version !== VERSION) fail(`is version ${version}, this build reads version ${VERSION}`);
    if (h.getUint32(36, true) !== crc32(buf.subarray(0, 36))) fail('header checksum does not match (corrupted header)');
    const dtype = h.getUint32(8, true);
    if (dtype !== 2 && dtype !== 4) fail(`dtype is ${dtype} bytes, expected 2 or 4`);
    const flags = h.getUint32(12, true);
    const n = h.getUint32(16, true);
    const vocab = h.getUint32(20, true);
    const tokens = Number(h.getBigUint64(24, true));
    const offBytes = 8 * (n + 1);
    const expected = HEADER_BYTES + offBytes + tokens * dtype + (flags & FLAG_MASK ? tokens : 0);
    if (buf.length !== expected) {
      fail(
        `is ${buf.length} bytes but its header (${n} sequences, ${tokens} tokens x ${dtype} bytes` +
          `${flags & FLAG_MASK ? ' + masks' : ''}) needs ${expected}${buf.length < expected ? ' (truncated)' : ''}`,
      );
    }
    if (crc32(buf.subarray(HEADER_BYTES)) !== h.getUint32(32, true)) fail('data checksum does not match (corrupted)');
    const raw = new BigUint64Array(buf.buffer, HEADER_BYTES, n + 1);
    const offsets = new Float64Array(n + 1);
    for (let i = 0; i <= n; i++) {
      offsets[i] = Number(raw[i]);
      if (i > 0 && offsets[i] < offsets[i - 1]) fail(`offsets[${i}] = ${offsets[i]} is below offsets[${i - 1}]`);
    }
    if (offsets[0] !== 0 || offsets[n] !== tokens)
      fail(`offsets run ${offsets[0]}..${offsets[n]}, expected 0..${tokens}`);
    const dataAt = HEADER_BYTES + offBytes;
    const data =
      dtype === 2 ? new Uint16Array(buf.buffer, dataAt, tokens) : new Uint32Array(buf.buffer, dataAt, tokens);
    const masks = flags & FLAG_MASK ? new Uint8Array(buf.buffer, dataAt + tokens * dtype, tokens) : undefined;
    return new TokenCacheReader(path, vocab, tokens, offsets, data, masks);
  }

  /** Sequence i: its ids, and its mask when the cache has masks. */
  get(i: number): { ids: Int32Array; mask?: Uint8Array } {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`${this.path}: sequence ${i} is outside 0..${this.length - 1}`);
    }
    const a = this.offsets[i];
    const b = this.offsets[i + 1];
    const ids = Int32Array.from(this.data.subarray(a, b));
    return this.masks ? { ids, mask: this.masks.slice(a, b) } : { ids };
  }

  /** The sequence order for one epoch: a Fisher-Yates shuffle seeded by (seed, epoch). */
  order(seed = 0, epoch = 0, shuffle = true): Int32Array {
    const idx = new Int32Array(this.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    if (!shuffle) return idx;
    const rng = Rng.world((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(epoch | 0, 0x85ebca6b)) >>> 0);
    const r = () => rng.next();
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx;
  }

  /** One epoch of padded (B, T) batches in seeded shuffled order. */
  *batches(opts: BatchOptions): Generator<TokenBatch> {
    const { batchSize: B, seqLen: T, padId } = opts;
    if (!(Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0)) {
      throw new RangeError(`batchSize ${B} and seqLen ${T} must be positive integers`);
    }
    const order = this.order(opts.seed ?? 0, opts.epoch ?? 0, opts.shuffle ?? true);
    for (let start = 0; start < order.length; start += B) {
      const rows = Math.min(B, order.length - start);
      if (rows < B && opts.dropLast) return;
      const ids = new Int32Array(B * T).fill(padId); // (B, T)
      const mask = new Uint8Array(B * T); // (B, T)
      const lengths = new Int32Array(B); // (B,)
      const indices: number[] = [];
      for (let r = 0; r < rows; r++) {
        const s = order[start + r];
        indices.push(s);
        const a = this.offsets[s];
        const len = Math.min(T, this.offsets[s + 1] - a);
        lengths[r] = len;
        for (let t = 0; t < len; t++) ids[r * T + t] = this.data[a + t];
        if (this.masks) mask.set(this.masks.subarray(a, a + len), r * T);
        else mask.fill(1, r * T, r * T + len);
      }
      yield { ids, mask, lengths, indices, rows };
    }
  }
}
