// Sampling: one model turn, continued from a prompt, with a KV cache. Text tokens by greedy (temperature
// 0), temperature and top-k; when the model opens an image (<|image|>), exactly an image's codes are drawn
// from the image-code range only, with classifier-free guidance (logits = uncond + s * (cond - uncond),
// the unconditional branch being the same prompt with its user text dropped), and the span is closed with
// <|/image|>. The one sampler and the one guidance function, used by evaluation and the CLI (and the server, when it lands).
import type { MultimodalModel } from '../model/index.js';
import { type DecodedSegment, parseSequence, specialIds, type Tokenizers } from '../model/index.js';
import { type KVCache, noGrad, type Rng, type Tensor, tidy } from '../tensor/index.js';

/**
 * Default classifier-free guidance scale for image codes: 1, i.e. off. Measured on the shipped model (20
 * items a kind, greedy): text-to-image objects right in their cell 0.67 / 0.56 / 0.35 / 0.20 at scales
 * 1 / 2 / 3 / 5 (held-out; 0.89 / 0.85 / 0.50 / 0.19 on trained combinations), and edits 0.10 success with
 * 98% of pixels kept at 1 vs 0.00 and 91% at 3 (40 held-out edits). Guidance stays available per call.
 */
export const DEFAULT_GUIDANCE = 1;

/**
 * Default SampleOptions.keepBias: 1, tuned for the shipped model on trained-combination edits (the
 * validation split, 200 edits; bias 1 / 2 / 3 gave edit success 0.430 / 0.430 / 0.420 and untouched
 * objects kept 0.834 / 0.789 / 0.751), never on the held-out split (docs/model.md, "The longer run"). The
 * model before it (without the "more" stage) had 2: bias 0 / 2 / 4 gave 0.345 / 0.445 / 0.385. Models
 * without KEEP ignore it.
 */
export const DEFAULT_KEEP_BIAS = 1;

export interface Prompt {
  ids: Int32Array;
  pos2d: Int32Array;
}

export interface SampleOptions {
  /** 0 = greedy (argmax). */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Nucleus sampling: keep the fewest most likely tokens whose probability reaches p (1 = all). */
  topP?: number;
  /** Classifier-free guidance scale for image codes (1 = no guidance; needs an unconditional prompt). */
  guidance?: number;
  /** The image scale s_I of two-scale guidance (1 = off; needs a bare prompt with neither image nor
   *  text): logits = bare + s_I (image - bare) + s (image+text - image). Edits, sessions. */
  imageGuidance?: number;
  /** With KEEP (MultimodalModel.keepId): subtracted from KEEP's logit before drawing; > 0 makes the model
   *  redraw more and keep less (DEFAULT_KEEP_BIAS). */
  keepBias?: number;
  /** Text tokens at most before the turn is cut. */
  maxTextTokens?: number;
  /** sampleTurn, when the model opens an image: draw it (default), end the turn there ('stop': a plan
   *  before its image), or never let it ('forbid': the answer must be text). */
  onImage?: 'draw' | 'stop' | 'forbid';
  /** sampleTurn: the text tokens the turn may write (undefined: any); <|end|> and opening an image stay
   *  allowed. A plan copies the steps out of its instruction (copyTokens in plan.ts). */
  textTokens?: ReadonlySet<number>;
  /** sampleTurn: end the turn after this many images (an edit turn: 1). */
  maxImages?: number;
  rng?: Rng;
  /** sampleTurn: the KV cache of an earlier call on a prompt that shares a prefix with this one (a session's
   *  previous turn). Only the tokens after the common prefix are fed; afterwards it holds this call's
   *  prompt and output, ready for the next turn. */
  reuse?: PrefixCache;
  /** Streaming progress: called after each image code (done of total) and each text token (total null). */
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  kind: 'text' | 'image';
  done: number;
  /** An image's codes (codesPerImage) for an image; null for text (its length is not known in advance). */
  total: number | null;
  /** sampleImages: every variant's codes so far (positions >= done not drawn yet). Valid during the call. */
  codes?: readonly Int32Array[];
}

/**
 * The one guidance function of every sampling path. With no unconditional branch: the logits as they are.
 * One scale (classifier-free guidance): uncond + s (cond - uncond). Two scales (InstructPix2Pix-style, for
 * edits: `bare` has neither the input image nor the text): bare + s_I (uncond - bare) + s (cond - uncond),
 * computed as [uncond + s (cond - uncond)] + (s_I - 1)(uncond - bare). Into `out` (returned), except when
 * there is nothing to combine (cond itself is returned).
 */
export function guideLogits(
  cond: Float32Array,
  uncond: Float32Array | null,
  bare: Float32Array | null,
  s: number,
  sI: number,
  out: Float32Array,
): Float32Array {
  if (uncond === null) return cond;
  for (let i = 0; i < out.length; i++) out[i] = uncond[i] + s * (cond[i] - uncond[i]);
  if (bare !== null) for (let i = 0; i < out.length; i++) out[i] += (sI - 1) * (uncond[i] - bare[i]);
  return out;
}

/** Classifier-free guidance with one scale, in place into `out` (guideLogits without a bare branch). */
export function guide(cond: Float32Array, uncond: Float32Array, s: number, out: Float32Array): Float32Array {
  return guideLogits(cond, uncond, null, s, 1, out);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** A number that sorts ascending as (logit descending, index ascending): the order of a stable sort by
 *  logit, as one exact integer (32 bits of order-preserving float bits, 16 of index), for a native sort. */
function orderKey(logit: number, index: number): number {
  F32[0] = logit;
  const u = U32[0];
  const ascending = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
  return (0xffffffff - ascending) * 65536 + index;
}

/** Weights below 2^-54 of the largest (exp(-40) < 2^-54) cannot change a sum that is at least 1 in
 *  float64, so leaving them out gives the same totals and the same draws (the largest weight is exactly 1). */
const NEGLIGIBLE = -40;

/** Picks an index of logits among `allowed` (null = all): argmax at temperature 0, else softmax sampling
 *  in order of decreasing logit, after top-k and top-p. */
export function pickToken(logits: Float32Array, allowed: (i: number) => boolean, o: SampleOptions): number {
  if (logits.length > 65536) throw new Error(`pickToken: ${logits.length} logits, at most 65536`);
  const temperature = o.temperature ?? 0;
  let best = -1;
  for (let i = 0; i < logits.length; i++) if (allowed(i) && (best < 0 || logits[i] > logits[best])) best = i;
  if (best < 0) throw new Error('pickToken: no allowed token');
  if (temperature <= 0) return best;
  const m = logits[best];
  const keys: number[] = [];
  for (let i = 0; i < logits.length; i++)
    if (allowed(i) && (logits[i] - m) / temperature >= NEGLIGIBLE) keys.push(orderKey(logits[i], i));
  const sorted = Float64Array.from(keys).sort();
  const k = o.topK && o.topK > 0 ? Math.min(o.topK, sorted.length) : sorted.length;
  let top = Array.from(sorted.subarray(0, k), (key) => key % 65536);
  let w = top.map((i) => Math.exp((logits[i] - m) / temperature));
  const p = o.topP ?? 1;
  if (!(p > 0 && p <= 1)) throw new Error(`pickToken: topP must be in (0, 1], got ${p}`);
  if (p < 1) {
    const total = w.reduce((a, b) => a + b, 0);
    let acc = 0;
    let keep = 0;
    while (keep < w.length && acc < p * total) acc += w[keep++];
    top = top.slice(0, keep);
    w = w.slice(0, keep);
  }
  if (!o.rng) throw new Error('pickToken: sampling at temperature > 0 needs an rng');
  let u = o.rng.next() * w.reduce((a, b) => a + b, 0);
  for (let j = 0; j < top.length; j++) {
    u -= w[j];
    if (u <= 0) return top[j];
  }
  return top[top.length - 1];
}

/**
 * The codes of the last complete image in `ids` (<|image|>, an image's codes, <|/image|>), or null: what
 * KEEP (MultimodalModel.keepId) stands for when the next image is drawn.
 */
export function previousImageCodes(ids: ArrayLike<number>, tok: Tokenizers, g2: number): Int32Array | null {
  const sp = specialIds(tok);
  for (let e = ids.length - 1; e >= g2 + 1; e--) {
    if (ids[e] !== sp.imageEnd || ids[e - g2 - 1] !== sp.image) continue;
    const codes = new Int32Array(g2);
    let ok = true;
    for (let p = 0; p < g2 && ok; p++) {
      const k = ids[e - g2 + p] - sp.imageBase;
      ok = k >= 0 && k < sp.imageCount;
      codes[p] = k;
    }
    if (ok) return codes;
  }
  return null;
}

/** Which image outputs may be drawn at position p of an image: the codes valid there (every code, or with
 *  two codes a patch the shape codes or the colour codes: ImageTokenizer.slotRange), and KEEP where the
 *  model has it and there is an image to keep from. `resolve` turns a drawn id into the code id that is fed
 *  (KEEP -> the previous code there). */
function imageDraw(model: MultimodalModel, tok: Tokenizers, prev: Int32Array | null, keepBias = DEFAULT_KEEP_BIAS) {
  const sp = specialIds(tok);
  const keep = prev ? model.keepId : -1;
  // one predicate a slot of a patch (position p is slot p % codesPerPatch)
  const bySlot = Array.from({ length: tok.image.codesPerPatch ?? 1 }, (_, slot) => {
    const [lo, hi] = tok.image.slotRange?.(slot) ?? [0, sp.imageCount];
    return (i: number) => (i >= sp.imageBase + lo && i < sp.imageBase + hi) || (keep >= 0 && i === keep);
  });
  return {
    allowedAt: (p: number) => bySlot[p % bySlot.length],
    /** The logits to draw from: KEEP's lowered by keepBias (in place: the buffer is refilled every step). */
    bias: (logits: Float32Array) => {
      if (keep >= 0 && keepBias !== 0) logits[keep] -= keepBias;
      return logits;
    },
    resolve: (id: number, p: number) => (keep >= 0 && id === keep ? sp.imageBase + prev![p] : id),
  };
}

/** A KV cache (one row) and the ids it holds, kept between turns of a session. */
export interface PrefixCache {
  /** The model the cache was computed with (a cache is never reused across models). */
  model: MultimodalModel;
  ids: number[];
  caches: KVCache[];
  /** Tokens the last call took from the cache / had to feed (for tests and benchmarks). */
  reused: number;
  fed: number;
}

/** A batch of B rows being decoded that share one prompt (tiled), their caches, and each row's logits after
 *  the last token fed (`last`: (B, V)). With `reuse` (B = 1), the cache's common prefix with the prompt
 *  is kept and only the rest is fed. */
class DecodeBatch {
  readonly caches: KVCache[];
  readonly last: Float32Array;
  constructor(
    private readonly model: MultimodalModel,
    prompt: Prompt,
    readonly B = 1,
    reuse: PrefixCache | null = null,
  ) {
    this.last = new Float32Array(B * model.vocabSize);
    if (reuse) {
      if (reuse.model !== model) throw new Error('sampleTurn: the reused KV cache belongs to another model');
      // Keep at least one prompt token to feed, so the logits after the prompt are computed.
      const max = Math.min(reuse.ids.length, prompt.ids.length - 1, reuse.caches[0].length);
      let L = 0;
      while (L < max && reuse.ids[L] === prompt.ids[L]) L++;
      for (const c of reuse.caches) c.truncate(L);
      // Until this call ends well, the cache is only known to hold the common prefix.
      reuse.ids.length = L;
      this.caches = reuse.caches;
      reuse.reused = L;
      reuse.fed = prompt.ids.length - L;
      this.feed(prompt.ids.slice(L), prompt.pos2d.slice(L));
      return;
    }
    this.caches = model.newCache(B);
    const T = prompt.ids.length;
    const tile = (a: Int32Array) => {
      const out = new Int32Array(B * T);
      for (let b = 0; b < B; b++) out.set(a, b * T);
      return out;
    };
    this.feed(tile(prompt.ids), tile(prompt.pos2d));
  }
  get length(): number {
    return this.caches[0].length;
  }
  /** Row b's logits. */
  row(b: number): Float32Array {
    const V = this.model.vocabSize;
    return this.last.subarray(b * V, (b + 1) * V);
  }
  /** Feeds Tq tokens to every row: ids and pos2d hold B * Tq values, row-major. With `codes` (the next
   *  token is an image code: inside an image span), only the code logits are computed; the text part of
   *  `last` is then 0 and must not be read (the sampler only allows codes there). */
  feed(ids: Int32Array, pos2d: Int32Array, codes: { codeEmbed: Tensor } | null = null): void {
    const V = this.model.vocabSize;
    const Tq = ids.length / this.B;
    noGrad(() =>
      tidy(() => {
        const o = codes ? { imageOnly: true, codeEmbed: codes.codeEmbed } : {};
        const logits = this.model.forwardCached(ids, pos2d, this.B, Tq, this.caches, o); // (B, Tq, V or K)
        const W = codes ? this.model.codeCount : V;
        const at = V - W; // the code logits sit at the end of the vocabulary
        for (let b = 0; b < this.B; b++) {
          if (codes) this.last.fill(0, b * V, b * V + at);
          this.last.set(logits.data.subarray((b * Tq + Tq - 1) * W, (b * Tq + Tq) * W), b * V + at);
        }
      }),
    );
  }
}

/**
 * n images at once, continuing a prompt that ends with <|image|>: the n variants decode as one batch (and
 * the unconditional branch of guidance as a second), each row drawing with its own rng. Row b gives what
 * sampleTurn gives for the same prompt with rng b (tested). Returns each variant's codes.
 */
export function sampleImages(
  model: MultimodalModel,
  tok: Tokenizers,
  cond: Prompt,
  uncond: Prompt | null,
  rngs: readonly Rng[],
  o: SampleOptions = {},
  /** Edits with o.imageGuidance: the prompt with the input image and the text both dropped. */
  bare: Prompt | null = null,
): Int32Array[] {
  const sp = specialIds(tok);
  if (cond.ids[cond.ids.length - 1] !== sp.image) throw new Error('sampleImages: the prompt must end with <|image|>');
  const n = rngs.length;
  const g2 = model.codesPerImage;
  if (cond.ids.length + g2 > model.config.blockSize)
    throw new Error(
      `sampleImages: a prompt of ${cond.ids.length} tokens leaves no room for ${g2} codes in ${model.config.blockSize}`,
    );
  const s = o.guidance ?? 1;
  const c = new DecodeBatch(model, cond, n);
  const sI = o.imageGuidance ?? 1;
  if (sI !== 1 && (bare === null || uncond === null))
    throw new Error('sampleImages: image guidance needs the unconditional and the bare prompt');
  const u = uncond !== null && (s !== 1 || sI !== 1) ? new DecodeBatch(model, uncond, n) : null;
  const z = sI !== 1 ? new DecodeBatch(model, bare!, n) : null;
  const draw = imageDraw(model, tok, previousImageCodes(cond.ids, tok, g2), o.keepBias);
  const guided = new Float32Array(model.vocabSize);
  // every step after the first draws a code: only code logits, through embeddings formed once
  const codeStep = { codeEmbed: noGrad(() => model.codeEmbeddings().keep()) };
  const codes = Array.from({ length: n }, () => new Int32Array(g2));
  try {
    const ids = new Int32Array(n);
    const pos = new Int32Array(n);
    for (let p = 0; p < g2; p++) {
      for (let b = 0; b < n; b++) {
        const logits = guideLogits(c.row(b), u?.row(b) ?? null, z?.row(b) ?? null, s, sI, guided);
        ids[b] = draw.resolve(pickToken(draw.bias(logits), draw.allowedAt(p), { ...o, rng: rngs[b] }), p);
        codes[b][p] = ids[b] - sp.imageBase;
      }
      o.onProgress?.({ kind: 'image', done: p + 1, total: g2, codes });
      pos.fill(p);
      if (p + 1 < g2) {
        c.feed(ids, pos, codeStep);
        u?.feed(ids, pos, codeStep);
        z?.feed(ids, pos, codeStep);
      }
    }
  } finally {
    codeStep.codeEmbed.dispose();
  }
  return codes;
}

/**
 * Continues `cond` (which must end with <|model|>) until the model closes the turn with <|end|>, the text
 * budget runs out, or the block is full. `uncond` is the prompt for the unconditional branch of guidance.
 * Returns the generated ids (without the final <|end|>) and their decoded segments.
 */
export function sampleTurn(
  model: MultimodalModel,
  tok: Tokenizers,
  cond: Prompt,
  uncond: Prompt | null,
  o: SampleOptions = {},
  /** With o.imageGuidance: the prompt with every image and user text dropped (guideLogits). */
  bare: Prompt | null = null,
): { ids: number[]; segments: DecodedSegment[] } {
  const sp = specialIds(tok);
  const g2 = model.codesPerImage;
  const max = model.config.blockSize;
  const s = o.guidance ?? 1;
  const sI = o.imageGuidance ?? 1;
  if (sI !== 1 && (bare === null || uncond === null))
    throw new Error('sampleTurn: image guidance needs the unconditional and the bare prompt');
  const useCfg = uncond !== null && (s !== 1 || sI !== 1);
  const c = new DecodeBatch(model, cond, 1, o.reuse ?? null);
  let u: DecodeBatch | null = null;
  let z: DecodeBatch | null = null;
  const out: number[] = [];
  const outPos: number[] = [];
  const forbid = o.onImage === 'forbid';
  const only = o.textTokens;
  const textAllowed = (i: number) =>
    i < sp.imageBase &&
    i !== sp.imageEnd &&
    i !== sp.user &&
    i !== sp.model &&
    !(forbid && i === sp.image) &&
    (!only || i === sp.end || i === sp.image || only.has(i));
  // Inside an image span the token after a code is a code or the forced <|/image|>: only code logits then,
  // through the codes' embeddings, formed on the first image of this call.
  let codeStep: { codeEmbed: Tensor } | null = null;
  const feedBoth = (id: number, p: number, code = false) => {
    out.push(id);
    outPos.push(p);
    if (code) codeStep ??= { codeEmbed: noGrad(() => model.codeEmbeddings().keep()) };
    c.feed(Int32Array.of(id), Int32Array.of(p), code ? codeStep : null);
    u?.feed(Int32Array.of(id), Int32Array.of(p), code ? codeStep : null);
    z?.feed(Int32Array.of(id), Int32Array.of(p), code ? codeStep : null);
  };
  let textTokens = 0;
  let images = 0;
  const guided = new Float32Array(model.vocabSize);
  // A prompt that ends with <|image|> asks for an image now (generate/edit commands force one this way).
  const startedOpen = cond.ids[cond.ids.length - 1] === sp.image;
  let opened = startedOpen;
  while (c.length < max) {
    if (!opened) {
      const id = pickToken(c.last, textAllowed, o);
      if (id === sp.end) break;
      if (id !== sp.image) {
        if (++textTokens > (o.maxTextTokens ?? 64)) break;
        feedBoth(id, -1);
        o.onProgress?.({ kind: 'text', done: textTokens, total: null });
        continue;
      }
      if (o.onImage === 'stop') break;
      if (c.length + g2 + 2 > max) break; // no room for a whole image
      feedBoth(id, -1);
    }
    opened = false;
    if (useCfg && !u) {
      // Lazily start the unconditional branch: its prompt plus everything generated so far in this turn.
      const branch = (prompt: Prompt) =>
        new DecodeBatch(model, {
          ids: Int32Array.from([...prompt.ids, ...out]),
          pos2d: Int32Array.from([...prompt.pos2d, ...outPos]),
        });
      u = branch(uncond!);
      if (sI !== 1) z = branch(bare!);
    }
    // KEEP stands for the last image before this one: the prompt's, or one drawn earlier in this turn.
    const draw = imageDraw(model, tok, previousImageCodes([...cond.ids, ...out], tok, g2), o.keepBias);
    for (let p = 0; p < g2; p++) {
      const logits = guideLogits(c.last, u?.last ?? null, z?.last ?? null, s, sI, guided);
      feedBoth(draw.resolve(pickToken(draw.bias(logits), draw.allowedAt(p), o), p), p, true);
      o.onProgress?.({ kind: 'image', done: p + 1, total: g2 });
    }
    feedBoth(sp.imageEnd, -1);
    if (++images >= (o.maxImages ?? Number.POSITIVE_INFINITY)) break;
  }
  (codeStep as { codeEmbed: Tensor } | null)?.codeEmbed.dispose();
  if (o.reuse) o.reuse.ids = [...cond.ids, ...out];
  return { ids: out, segments: parseSequence(startedOpen ? [sp.image, ...out] : out, tok, 'model') };
}
