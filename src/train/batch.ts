// A training batch from task items: sequences from the one builder (with condition dropout), cut to the
// block size, right-padded, next-token targets only where the model produces the token.
import type { TaskItem, TaskKind } from '../data/index.js';
import { buildSequence, type Tokenizers } from '../model/index.js';
import { Rng } from '../tensor/index.js';
import type { TokenSequence } from './cache.js';
import { GENERATION_TASKS } from './mixture.js';

export interface Batch {
  B: number;
  T: number;
  ids: Int32Array; // (B, T) padded with <|pad|>
  pos2d: Int32Array; // (B, T) -1 outside images
  targets: Int32Array; // (B, T) next token where produced, -1 elsewhere
  /** (B*T) 1 where the target is an image code / a text-side token (for the split loss curves). */
  imageRows: Float32Array;
  textRows: Float32Array;
  tasks: (TaskKind | null)[]; // (B,) null for sequences from a token cache
}

/** An item's training sequence: an image-producing item has its user text dropped with probability
 *  condDropout (condition dropout, so guidance has an unconditional model). One rule for every data path. */
export function trainingSequence(item: TaskItem, tok: Tokenizers, condDropout: number, rng: Rng) {
  const drop = GENERATION_TASKS.includes(item.task) && rng.next() < condDropout;
  return buildSequence(item, tok, { dropText: drop });
}

/** Builds a batch of training sequences (with condition dropout). */
export function makeBatch(items: TaskItem[], tok: Tokenizers, blockSize: number, condDropout: number, rng: Rng): Batch {
  const seqs = items.map((it) => trainingSequence(it, tok, condDropout, rng));
  return packBatch(
    seqs,
    items.map((it) => it.task),
    tok,
    blockSize,
  );
}

/** Pads built sequences into a (B, T) batch, T = the longest (at most blockSize). */
export function packBatch(
  seqs: readonly TokenSequence[],
  tasks: (TaskKind | null)[],
  tok: Tokenizers,
  blockSize: number,
): Batch {
  const B = seqs.length;
  const T = Math.min(blockSize, Math.max(...seqs.map((s) => s.ids.length)));
  const pad = tok.text.specialId('<|pad|>');
  const imageBase = tok.text.vocabSize;
  const ids = new Int32Array(B * T).fill(pad);
  const pos2d = new Int32Array(B * T).fill(-1);
  const targets = new Int32Array(B * T).fill(-1);
  const imageRows = new Float32Array(B * T);
  const textRows = new Float32Array(B * T);
  seqs.forEach((s, b) => {
    const n = Math.min(T, s.ids.length);
    ids.set(s.ids.subarray(0, n), b * T);
    pos2d.set(s.pos2d.subarray(0, n), b * T);
    for (let t = 0; t + 1 < n; t++)
      if (s.produced[t + 1]) {
        const y = s.ids[t + 1];
        targets[b * T + t] = y;
        if (y >= imageBase) imageRows[b * T + t] = 1;
        else textRows[b * T + t] = 1;
      }
  });
  return { B, T, ids, pos2d, targets, imageRows, textRows, tasks };
}

/**
 * Calls `f(row, code, previous)` for every row whose target is an image code that the previous image in
 * the same sequence also has a code for at that grid position (`previous`: that code). The previous image
 * is the user's input for a single edit, or the model's last picture in a chain; the first image of a
 * sequence (text-to-image) has none. `textVocab`: code tokens are the ids at or above it.
 */
function forEachCodeAfterImage(
  b: Batch,
  textVocab: number,
  /** Codes of an image (ModelConfig codesPerImage). */
  codes: number,
  f: (row: number, code: number, previous: number) => void,
): void {
  const last = new Int32Array(codes);
  for (let r = 0; r < b.B; r++) {
    last.fill(-1);
    for (let t = 0; t < b.T; t++) {
      const i = r * b.T + t;
      const p = b.pos2d[i];
      if (p < 0 || b.ids[i] < textVocab) continue;
      // row i-1 predicts this code
      if (t > 0 && b.targets[i - 1] === b.ids[i] && last[p] >= 0) f(i - 1, b.ids[i], last[p]);
      last[p] = b.ids[i];
    }
  }
}

/**
 * Per-row loss weights for the edit recipe "weight on the tokens that must change" (config editChangeWeight):
 * a row whose target is an image code that differs from the code the previous image in the same sequence
 * has at that grid position gets `weight`; every other row 1 (forEachCodeAfterImage).
 */
export function changedCodeWeights(b: Batch, textVocab: number, codes: number, weight: number): Float32Array {
  const w = new Float32Array(b.B * b.T).fill(1);
  forEachCodeAfterImage(b, textVocab, codes, (row, code, previous) => {
    if (code !== previous) w[row] = weight;
  });
  return w;
}

/**
 * codeResidualDrop: 1 for each image code of the batch's ids (in [textVocab, textVocab + K)) that is read
 * without its per-code residual row, each with probability p. Drawn from (seed, step) alone, so a resumed
 * run draws what the uninterrupted one did without saving a stream.
 */
export function residualDropFlags(
  ids: Int32Array,
  textVocab: number,
  K: number,
  p: number,
  seed: number,
  step: number,
): Uint8Array {
  const rng = Rng.world((Math.imul(seed >>> 0, 0x9e3779b1) + step) >>> 0);
  const out = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) if (ids[i] >= textVocab && ids[i] < textVocab + K && rng.next() < p) out[i] = 1;
  return out;
}

/**
 * For a model with KEEP (MultimodalModel.keepId >= 0): the batch's targets with every image-code target that
 * equals the code the previous image in the same sequence has at that grid position replaced by KEEP, and
 * `keepable`, 1 on every row that draws a code with a previous image (where the sampler offers KEEP).
 * Inputs (`ids`) are not touched: what is fed is always the real code. Without KEEP the targets as they are.
 */
export function keepTargets(
  b: Batch,
  textVocab: number,
  /** Codes of an image (ModelConfig codesPerImage). */
  codes: number,
  keepId: number,
): { targets: Int32Array; keepable: Uint8Array | null } {
  if (keepId < 0) return { targets: b.targets, keepable: null };
  const targets = Int32Array.from(b.targets);
  const keepable = new Uint8Array(b.B * b.T);
  forEachCodeAfterImage(b, textVocab, codes, (row, code, previous) => {
    keepable[row] = 1;
    if (code === previous) targets[row] = keepId;
  });
  return { targets, keepable };
}
