// The native multimodal model: the one GPT transformer (gpt.ts, reused, not copied) over the shared
// text + image vocabulary (layout in config.ts), with 2-D position information for image tokens: a learned
// row embedding and a learned column embedding added to each image token, on top of the 1-D positions.
// Row/column index 0 means "not an image token" (initialised to zero, then learned like any bias).
//
// Image codes are grounded in their pixels. Code k's tile (the image tokenizer's decoding of k) gives a
// feature vector f_k = [pixels, pixels^2] (2 * 3 * patch^2 values in [-1, 1] and [0, 1]). A code's input
// embedding is img.in f_k (plus a per-code residual row of wte, zero at init), and its output logit is
// (img.out h) . f_k: there are no per-code output rows. A code that never occurs in training (the tiles of
// a held-out color-shape pair) is still embedded and scored by what it looks like, and is not pushed down
// by a per-code row that only ever saw it as a negative. The squares make every tile a possible argmax
// (a linear score alone can never prefer gray over both white and black).
// Training loss (`lossFrom`): text targets are scored over the text vocabulary, image-code targets over the
// codes; the sampler keeps the same split (codes only inside image spans, text outside).
//
// KEEP (config.keepCode): one more image output after the K codes, "the code the previous image has at this
// grid position", scored by a learned vector (img.keep . h). Why: an edit must leave most patches as they
// were, and a patch of a held-out pair is a code the model never produced, so redrawing it means drawing
// a never-trained code (measured: untouched held-out-pair objects survived 0.4% of edits, trained ones 67%).
// With KEEP, copying a patch is one decision whatever the patch holds. Edit targets that equal the previous
// image's code at their position become KEEP (train/batch.ts keepTargets); the sampler draws KEEP as that
// code, so what is fed back, shown and stored is always a real code. Without a previous image (a first
// picture) the sampler never offers it.
//
// Mask times colour (config.maskColorRank R): the tile score above is linear in h, so a colour and a shape
// can only combine through the transformer's own nonlinearity, and on held-out colour-shape pairs they did
// not (a blue circle drawn as a blue square: measured 0.05 of held-out-pair objects right). The ideal score
// of a tile x under "pixels inside mask m are colour fg, the rest bg" is, up to terms the linear head already
// has, sum_p m_p x_p . (fg - bg): bilinear in (where, what colour). So with R > 0 each row also forms R
// masks M h (R x B) and R colours D h (R x 3), and scores sum_r m_r (x) d_r against the tile's pixels; a
// circle's mask learned from red circles then combines with blue learned from blue squares. The masks are
// over 2x2-pixel blocks (B = 16 of an 8x8 tile; the tile's block sums are what they score): shape at
// object scale, a quarter of the cost of per-pixel masks (the term is an (N x 3B) by (3B x K) product), and
// the linear head still draws the detail. img.color starts at zero (the head starts as the linear one),
// img.mask small and random.
//
// Tile edges (config.tileEdges): a code's feature row (what img.in reads and img.out scores) is its pixels'
// values and their squares, where a shape is a different direction in every colour: a linear read of shape
// fitted on trained colour-shape pairs reads a held-out pair's tiles half the time (test/model/tile-
// edges.test.ts), and the model read held-out pairs' shapes 0.11 from its input embeddings. With tileEdges
// the row also holds the tile's edges, 1 for each pair of neighbouring pixels whose colours differ: the
// same for a circle in any colour on any background, so the shape is one direction whatever the colours
// (the same read gets every held-out tile). The upgrade of a trained model adds zero weights for them.
//
// Factored codes (config.codeFactorRows): the pixel-linear output is replaced by E_k = A[mask_k] +
// A[fg_k] + A[bg_k], three rows of one learned table img.factor, from the code's tile read as (foreground
// mask, foreground colour, background colour) (code-factors.ts; a tile of more than two colours has a row
// of its own). Every patch of a held-out pair is a code training never shows, but every one of its three
// rows is also a row of codes it does show (bench:heldout-codes), and the softmax over sums of rows is a
// product of a mask's and the colours' scores: a shape learned from red circles and a colour learned from
// blue squares score a blue circle's patches without any term for the pair. Unlike the mask-times-colour
// term there is no pixel-linear path beside it that training could fit instead. The input side keeps the
// tile features.
//
// Two codes a patch (config.codesPerPatch 2, model/two-code.ts): each patch is its shape code, then its
// colour code, so a held-out colour-shape pair is two tokens training does show (every head above still
// left a held-out pair's single code to be drawn from a hidden state that asked for the colour's trained
// shape; the probe, `npm run bench:two-code`, drew held-out pairs 0.97 against 0.00). The codes then have
// no tiles of their own: each is a plain row (wte in, img.code out, both random at init), and every image
// token also gets a slot embedding (img.slot: shape or colour) beside its row and column. KEEP works per
// token as before (the previous image's token at the same position).
import {
  add,
  concat,
  crossEntropy,
  embedding,
  type KVCache,
  linear,
  matmul,
  noGrad,
  reshape,
  rowOuter,
  scale,
  Tensor,
} from '../tensor/index.js';
import type { ImageTokenizer } from '../tokenizers/image/types.js';
import {
  canonicalCodes,
  codeFactors,
  codeTiles,
  decodeEveryCode,
  fitFactorTable,
  tokenizerFactors,
} from './code-factors.js';
import { codesPerImageOf, type ModelConfig, maskBlocks, tileWidth } from './config.js';
import { GPT } from './gpt.js';

export const MODEL_KIND = 'tessera-multimodal';

export class MultimodalModel {
  readonly gpt: GPT;
  /** (K, F) tile features of the codes, and the same with a zero row K appended ("not an image token"). */
  private tiles: Tensor | null = null;
  private tilesPadded: Tensor | null = null;
  /** (K, 3B) the tiles' pixel values summed over 2x2 blocks (the mask-times-colour term scores these). */
  private tileBlocks: Tensor | null = null;
  /** With codeFactorRows: each code's mask, foreground and background rows of img.factor (code-factors.ts). */
  private factorRows: [Int32Array, Int32Array, Int32Array] | null = null;
  /** With codeFactorRows: each code's canonical twin (code-factors.ts canonicalCodes), and logit masks over
   *  the image outputs (K + KEEP) and over the K codes alone: 0 on canonical codes and KEEP, -1e9 on the
   *  other twins. */
  private canonical: Int32Array | null = null;
  private twinMask: { outputs: Tensor; codes: Tensor } | null = null;

  constructor(
    readonly config: Readonly<ModelConfig>,
    image?: ImageTokenizer,
  ) {
    const { textVocabSize, imageCodebookSize, blockSize, nLayer, nHead, nEmbd, mlpHidden, seed } = config;
    const vocabSize = textVocabSize + imageCodebookSize + config.keepCode;
    this.gpt = new GPT({ vocabSize, blockSize, nLayer, nHead, nEmbd, mlpHidden, seed }, textVocabSize);
    if (config.codesPerPatch > 1) {
      // plain rows: wte's code rows stay random, img.code scores the codes, img.slot marks shape / colour
      this.gpt.params.add('img.code', [imageCodebookSize, nEmbd], { kind: 'normal', std: 0.02 });
      // (codesPerPatch + 1, C): row 0 "not an image token" (zero, as img.row's), then one a slot
      this.gpt.params.add('img.slot', [config.codesPerPatch + 1, nEmbd], { kind: 'normal', std: 0.02 });
      this.gpt.params.get('img.slot').data.fill(0, 0, nEmbd);
      if (config.keepCode) this.gpt.params.add('img.keep', [1, nEmbd], { kind: 'normal', std: 0.02 });
      this.addGridRows();
      if (image) this.setImageTokenizer(image);
      return;
    }
    this.gpt.params.get('wte').data.fill(0, textVocabSize * nEmbd); // per-code residual rows start at zero
    const W = tileWidth(config);
    this.gpt.params.add('img.in', [nEmbd, W], { kind: 'normal', std: 0.02 });
    if (config.codeFactorRows)
      this.gpt.params.add('img.factor', [config.codeFactorRows, nEmbd], { kind: 'normal', std: 0.02 });
    else this.gpt.params.add('img.out', [W, nEmbd], { kind: 'normal', std: 0.02 });
    if (config.keepCode) this.gpt.params.add('img.keep', [1, nEmbd], { kind: 'normal', std: 0.02 });
    if (config.maskColorRank) {
      const R = config.maskColorRank;
      this.gpt.params.add('img.mask', [R * maskBlocks(config), nEmbd], { kind: 'normal', std: 0.02 });
      this.gpt.params.add('img.color', [R * 3, nEmbd], { kind: 'normal', std: 0.02 });
      this.gpt.params.get('img.color').data.fill(0);
    }
    if (image) this.setImageTokenizer(image);
    this.addGridRows();
  }

  /** (grid + 1, C) row and column tables: index 0 = "not an image token", 1..grid = image row (column). */
  private addGridRows(): void {
    const { imageGrid, nEmbd } = this.config;
    this.gpt.params.add('img.row', [imageGrid + 1, nEmbd], { kind: 'normal', std: 0.02 });
    this.gpt.params.add('img.col', [imageGrid + 1, nEmbd], { kind: 'normal', std: 0.02 });
    this.gpt.params.get('img.row').data.fill(0, 0, nEmbd);
    this.gpt.params.get('img.col').data.fill(0, 0, nEmbd);
  }

  get params() {
    return this.gpt.params;
  }

  /** Reads every code's tile from the image tokenizer (a pure function of it, so nothing to save). */
  setImageTokenizer(image: ImageTokenizer): void {
    const K = this.config.imageCodebookSize;
    const cpp = this.config.codesPerPatch;
    if ((image.codesPerPatch ?? 1) !== cpp)
      throw new Error(
        `MultimodalModel: the image tokenizer writes ${image.codesPerPatch ?? 1} codes a patch, the config ${cpp}`,
      );
    if (image.grid !== this.config.imageGrid)
      throw new Error(
        `MultimodalModel: the image tokenizer's grid is ${image.grid}, the config's ${this.config.imageGrid}`,
      );
    if (image.codebookSize !== K)
      throw new Error(`MultimodalModel: the image tokenizer has ${image.codebookSize} codes, the config ${K}`);
    if (cpp > 1) return; // plain rows: nothing is read from the tokenizer
    const F = this.config.tileFeatures;
    const p = image.imageSize / image.grid;
    if (2 * 3 * p * p !== F)
      throw new Error(`MultimodalModel: tiles of ${p}x${p} give ${6 * p * p} features, the config says ${F}`);
    if (this.config.maskColorRank && p % 2 !== 0)
      throw new Error(`MultimodalModel: maskColorRank needs tiles of an even side (2x2-pixel blocks), not ${p}`);
    const images = decodeEveryCode(image);
    const tiles = codeTiles(image, images);
    const W = tileWidth(this.config);
    const feats = new Float32Array((K + 1) * W);
    for (let k = 0; k < K; k++)
      tileFeatureRow(tiles.subarray(k * (F / 2), (k + 1) * (F / 2)), p, this.config.tileEdges, feats, k * W);
    this.tilesPadded = new Tensor(feats, [K + 1, W], { persistent: true });
    this.tiles = new Tensor(feats.subarray(0, K * W), [K, W], { persistent: true });
    if (this.config.codeFactorRows) {
      const f = codeFactors(tiles, K, p);
      if (f.rows !== this.config.codeFactorRows)
        throw new Error(
          `MultimodalModel: the image tokenizer's codes have ${f.rows} factor rows, the config says ${this.config.codeFactorRows} (a model with factored codes keeps the tokenizer it was made with)`,
        );
      const pick = (j: number) => Int32Array.from({ length: K }, (_, k) => f.index[k * 3 + j]);
      this.factorRows = [pick(0), pick(1), pick(2)];
      this.canonical = canonicalCodes(f, image, images);
      const mask = new Float32Array(this.codeCount);
      for (let k = 0; k < K; k++) if (this.canonical[k] !== k) mask[k] = -1e9;
      this.twinMask = {
        outputs: new Tensor(mask, [this.codeCount], { persistent: true }),
        codes: new Tensor(mask.subarray(0, K), [K], { persistent: true }),
      };
    }
    if (!this.config.maskColorRank) return;
    // block sums: pixel (y, x) of a tile is in block (y >> 1) * (p / 2) + (x >> 1)
    const B = maskBlocks(this.config);
    const blocks = new Float32Array(K * B * 3);
    for (let k = 0; k < K; k++)
      for (let y = 0; y < p; y++)
        for (let x = 0; x < p; x++)
          for (let ch = 0; ch < 3; ch++)
            blocks[(k * B + (y >> 1) * (p / 2) + (x >> 1)) * 3 + ch] += feats[k * W + (y * p + x) * 3 + ch];
    this.tileBlocks = new Tensor(blocks, [K, B * 3], { persistent: true });
  }

  private tileTable(): { tiles: Tensor; padded: Tensor } {
    if (!this.tiles || !this.tilesPadded)
      throw new Error('MultimodalModel: call setImageTokenizer before using the model');
    return { tiles: this.tiles, padded: this.tilesPadded };
  }

  get vocabSize(): number {
    return this.config.textVocabSize + this.codeCount;
  }

  /** Image outputs: the K codes, and KEEP after them with config.keepCode. */
  get codeCount(): number {
    return this.config.imageCodebookSize + this.config.keepCode;
  }

  /** Codes of one image: codesPerPatch * imageGrid^2. */
  get codesPerImage(): number {
    return codesPerImageOf(this.config);
  }

  /** Shared-vocabulary id of KEEP, or -1 without it. Never fed: the sampler feeds the code it stands for. */
  get keepId(): number {
    return this.config.keepCode ? this.config.textVocabSize + this.config.imageCodebookSize : -1;
  }

  /**
   * A copy of this model with KEEP (config.keepCode 1): every weight as it is, the new rows (img.keep and
   * KEEP's unused wte row) zero, so every code and text logit is unchanged and KEEP's is 0 until trained.
   */
  withKeepCode(image: ImageTokenizer): MultimodalModel {
    if (this.config.keepCode) return this;
    const m = this.upgraded({ keepCode: 1 }, image);
    m.params.get('img.keep').data.fill(0);
    return m;
  }

  /**
   * A copy of this model with the mask-times-colour term of rank R (config.maskColorRank): every weight as it
   * is, img.color zero (so every logit is unchanged until it is trained) and img.mask small and random.
   */
  withMaskColor(R: number, image: ImageTokenizer): MultimodalModel {
    if (this.config.maskColorRank === R) return this;
    if (this.config.maskColorRank)
      throw new Error(
        `MultimodalModel: the model has maskColorRank ${this.config.maskColorRank}; it cannot become ${R}`,
      );
    return this.upgraded({ maskColorRank: R }, image);
  }

  /**
   * A copy of this model with factored codes (config.codeFactorRows): every other weight as it is, and
   * img.factor fitted so that each code's sum of rows is as near as least squares gets to its output
   * embedding now (tiles img.out); a code of its own row gets exactly its old one. The pixel-linear head
   * (img.out) is gone, so logits move where a code's embedding was not a sum of its factors.
   */
  withCodeFactors(image: ImageTokenizer): MultimodalModel {
    if (this.config.codeFactorRows) return this;
    if (this.config.maskColorRank)
      throw new Error('MultimodalModel: a model with the mask-times-colour term cannot have factored codes');
    const f = tokenizerFactors(image);
    const E = noGrad(() => this.codeOut().data.slice());
    const m = this.upgraded({ codeFactorRows: f.rows }, image);
    m.params.get('img.factor').data.set(fitFactorTable(f, E, this.config.nEmbd));
    return m;
  }

  /** A model of this config with `changes`, every weight of this one copied into it (grownInto: a grown
   *  table, wte with KEEP's row or img.in and img.out with tile edges, gets zeros in its new rows and
   *  columns; a weight the new config has no place for, img.out once codes are factored, is left behind). */
  private upgraded(changes: Partial<ModelConfig>, image: ImageTokenizer): MultimodalModel {
    const m = new MultimodalModel(Object.freeze({ ...this.config, ...changes }), image);
    for (const [name, t] of this.params.map) if (m.params.map.has(name)) grownInto(m.params.get(name), t, name);
    return m;
  }

  /**
   * A copy of this model whose tiles also hold their edges (config.tileEdges): every weight as it is and
   * the edge columns of img.in and rows of img.out zero, so every logit is unchanged until they are trained.
   */
  withTileEdges(image: ImageTokenizer): MultimodalModel {
    return this.config.tileEdges ? this : this.upgraded({ tileEdges: 1 }, image);
  }

  /** Shared-vocabulary id of image code k. */
  imageId(k: number): number {
    return this.config.textVocabSize + k;
  }

  /** (B, T, C) 2-D position embedding: pos2d holds an image token's index in its image, (r * grid + c) *
   *  codesPerPatch + slot, and -1 for other tokens; with two codes a patch the slot's row is added too. */
  private pos2dEmbedding(pos2d: Int32Array, B: number, T: number): Tensor {
    const g = this.config.imageGrid;
    const cpp = this.config.codesPerPatch;
    const rows = new Int32Array(pos2d.length);
    const cols = new Int32Array(pos2d.length);
    const slots = cpp > 1 ? new Int32Array(pos2d.length) : null;
    for (let i = 0; i < pos2d.length; i++) {
      const p = pos2d[i];
      if (p < 0) continue; // index 0: the zero "no image position" row
      if (p >= g * g * cpp)
        throw new Error(
          `MultimodalModel: 2-D position ${p} at token ${i} is outside an image of ${g * g * cpp} codes (${g}x${g} grid)`,
        );
      const patch = Math.floor(p / cpp);
      rows[i] = 1 + Math.floor(patch / g);
      cols[i] = 1 + (patch % g);
      if (slots) slots[i] = 1 + (p % cpp);
    }
    const r = embedding(this.params.get('img.row'), rows, [B, T]); // (B, T, C)
    const c = embedding(this.params.get('img.col'), cols, [B, T]); // (B, T, C)
    if (!slots) return add(r, c);
    return add(add(r, c), embedding(this.params.get('img.slot'), slots, [B, T]));
  }

  /** Added to the token embeddings: 2-D positions, and each image code's tile through img.in. */
  private extraEmbedding(ids: Int32Array, pos2d: Int32Array, B: number, T: number): Tensor {
    if (pos2d.length !== ids.length) throw new Error(`MultimodalModel: ${ids.length} ids vs ${pos2d.length} pos2d`);
    const Vt = this.config.textVocabSize;
    const K = this.config.imageCodebookSize;
    if (this.config.codesPerPatch > 1) return this.pos2dEmbedding(pos2d, B, T); // codes are their wte rows
    const codes = Int32Array.from(ids, (id) => (id >= Vt && id < Vt + K ? id - Vt : K));
    const f = embedding(this.tileTable().padded, codes, [B, T]); // (B, T, F), constant
    return add(this.pos2dEmbedding(pos2d, B, T), linear(f, this.params.get('img.in'), null)); // (B, T, C)
  }

  /** Image output k (a code, or KEEP) as the model reads and trains it: with factored codes a code's
   *  canonical twin, else k itself. */
  private canonicalOutput(k: number): number {
    return this.canonical && k < this.canonical.length ? this.canonical[k] : k;
  }

  /** ids as the model reads them: every image code as canonicalOutput (the same array when nothing changes). */
  private readAs(ids: Int32Array): Int32Array {
    if (!this.canonical) return ids;
    const Vt = this.config.textVocabSize;
    let out: Int32Array | null = null;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < Vt) continue;
      const id = Vt + this.canonicalOutput(ids[i] - Vt);
      if (id !== ids[i]) {
        out ??= ids.slice();
        out[i] = id;
      }
    }
    return out ?? ids;
  }

  /** Image-output logits (..., K [+ KEEP]) with the non-canonical twins masked out (factored codes). */
  private twinsMasked(logits: Tensor): Tensor {
    if (!this.twinMask) return logits;
    const n = logits.shape[logits.shape.length - 1];
    return add(logits, n === this.codeCount ? this.twinMask.outputs : this.twinMask.codes);
  }

  /** Final hidden states (B, T, C). ids and pos2d are B*T values, row-major; right padding needs no mask.
   *  residualDrop (B*T flags, training only; TrainConfig.codeResidualDrop): 1 where an image code is read
   *  without its per-code residual row of wte, by its tile alone, as every code training never showed is
   *  read (its row is still zero). */
  hidden(ids: Int32Array, pos2d: Int32Array, B: number, T: number, residualDrop: Uint8Array | null = null): Tensor {
    const x = this.readAs(ids);
    let rowScale: Tensor | null = null;
    if (residualDrop) {
      const C = this.config.nEmbd;
      if (residualDrop.length !== ids.length)
        throw new Error(`MultimodalModel.hidden: ${residualDrop.length} residual flags for ${ids.length} ids`);
      const s = new Float32Array(ids.length * C).fill(1);
      for (let i = 0; i < ids.length; i++) if (residualDrop[i]) s.fill(0, i * C, (i + 1) * C);
      rowScale = Tensor.from(s, [B, T, C]);
    }
    return this.gpt.hidden(x, B, T, null, this.extraEmbedding(x, pos2d, B, T), rowScale);
  }

  /** Logits over the image outputs (..., K [+ KEEP]) of hidden states (..., C): (h img.out^T) tiles^T,
   *  then h img.keep^T. */
  imageLogits(h: Tensor): Tensor {
    const codes = this.tileLogits(h);
    return this.config.keepCode ? concat([codes, linear(h, this.params.get('img.keep'), null)], -1) : codes;
  }

  /** The K codes' logits alone: (h img.out^T) tiles^T, plus the mask-times-colour term; with factored
   *  codes h . E_k, E the factor sums. */
  private tileLogits(h: Tensor): Tensor {
    if (this.factorRows || this.config.codesPerPatch > 1) return this.twinsMasked(linear(h, this.codeOut(), null));
    return this.withTerm(h, linear(linear(h, this.params.get('img.out'), null), this.tileTable().tiles, null));
  }

  /** (K, C) the codes' output embeddings: tiles img.out, or with factored codes each code's mask, foreground
   *  and background rows of img.factor summed. */
  private codeOut(): Tensor {
    if (this.config.codesPerPatch > 1) return this.params.get('img.code');
    if (!this.factorRows) return matmul(this.tileTable().tiles, this.params.get('img.out'));
    const table = this.params.get('img.factor');
    const [m, fg, bg] = this.factorRows;
    return add(add(embedding(table, m), embedding(table, fg)), embedding(table, bg));
  }

  /** The K codes' linear logits plus the mask-times-colour term (as they are without it). */
  private withTerm(h: Tensor, linearPart: Tensor): Tensor {
    const mc = this.maskColorLogits(h);
    return mc ? add(linearPart, mc) : linearPart;
  }

  /** With maskColorRank R: (..., K) sum_r (m_r (x) d_r) . blocks_k, m_r = (img.mask h)_r (B values) and
   *  d_r = (img.color h)_r (3); null without it. */
  private maskColorLogits(h: Tensor): Tensor | null {
    const R = this.config.maskColorRank;
    if (!R) return null;
    if (!this.tileBlocks) throw new Error('MultimodalModel: call setImageTokenizer before using the model');
    const w = rowOuter(linear(h, this.params.get('img.mask'), null), linear(h, this.params.get('img.color'), null), R);
    return linear(w, this.tileBlocks, null);
  }

  /**
   * The same logits for many rows at once (training): h (tiles img.out)^T, the codes' output embeddings
   * E = tiles img.out (K, C) formed once. Equal in exact arithmetic; it costs K F C + N C K multiply-adds
   * instead of N C F + N F K, so it is cheaper from about K F C / (F K + C F - C K) rows (176 at the
   * default sizes; a training batch has ~900). Inference keeps imageLogits (a few rows a step).
   */
  imageLogitsMany(h: Tensor, keepMask: Float32Array | null = null): Tensor {
    const N = h.size / this.config.nEmbd;
    const K = this.config.imageCodebookSize;
    const F = tileWidth(this.config);
    const C = this.config.nEmbd;
    const codes =
      !this.factorRows && this.config.codesPerPatch === 1 && N * (F * K + C * F - C * K) <= K * F * C
        ? this.tileLogits(h)
        : this.twinsMasked(this.withTerm(h, linear(h, this.codeOut(), null)));
    if (!this.config.keepCode) return codes;
    // KEEP's column, with keepMask added (-1e9 on rows without a previous image: nothing to keep there)
    const keep = linear(h, this.params.get('img.keep'), null); // (N, 1)
    return concat([codes, keepMask ? add(keep, new Tensor(keepMask, [N, 1])) : keep], -1);
  }

  /** Logits over the whole vocabulary (..., V): text head, then image codes. */
  logits(h: Tensor): Tensor {
    return concat([this.gpt.head(h), this.imageLogits(h)], -1);
  }

  /** Logits (B, T, V). */
  forward(ids: Int32Array, pos2d: Int32Array, B: number, T: number): Tensor {
    return this.logits(this.hidden(ids, pos2d, B, T));
  }

  /**
   * Mean next-token loss over the rows with a target (-1 = none), text targets over the text vocabulary and
   * code targets over the codes; weights (one per row) select and weigh rows (for per-task curves).
   */
  lossFrom(
    h: Tensor,
    targets: Int32Array,
    weights: Float32Array | null = null,
    /** Receives every row's loss (N values; 0 where there is no target), for per-task curves. */
    rowLosses: Float32Array | null = null,
    /** With KEEP: 1 for the rows whose target position has a previous image (keepTargets), else KEEP is
     *  masked out there, as the sampler never offers it without one. Null: offered everywhere. */
    keepable: Uint8Array | null = null,
  ): Tensor {
    const C = this.config.nEmbd;
    const Vt = this.config.textVocabSize;
    const N = h.size / C;
    if (targets.length !== N) throw new Error(`MultimodalModel.lossFrom: ${targets.length} targets for ${N} rows`);
    // Rows with a code target and rows with a text target, each scored only over its own vocabulary (the
    // text head is not run on the other rows: ~80% of the rows of a training batch are codes or padding).
    const rows: number[] = [];
    const textRowIds: number[] = [];
    let wText = 0;
    let wImage = 0;
    for (let i = 0; i < N; i++) {
      const w = weights ? weights[i] : 1;
      if (targets[i] >= Vt) {
        if (w !== 0) rows.push(i);
        wImage += w;
      } else if (targets[i] >= 0) {
        if (w !== 0) textRowIds.push(i);
        wText += w;
      }
    }
    const total = wText + wImage;
    if (total === 0) return Tensor.from([0], [1]);
    const h2 = reshape(h, [N, C]);
    let loss: Tensor | null = null;
    rowLosses?.fill(0);
    // crossEntropy averages over its rows' weights; a subset with all of its weights averages the same
    const part = (ids: number[], logitsOf: (x: Tensor) => Tensor, target: (i: number) => number, share: number) => {
      const idx = Int32Array.from(ids);
      const hRows = embedding(h2, idx); // (n, C): the selected rows
      const t = Int32Array.from(ids, target);
      const w = weights ? Float32Array.from(ids, (i) => weights[i]) : null;
      const got = rowLosses ? new Float32Array(ids.length) : undefined;
      const l = scale(crossEntropy(logitsOf(hRows), t, { weights: w, rowLosses: got }), share);
      if (got && rowLosses)
        ids.forEach((r, j) => {
          rowLosses[r] = got[j];
        });
      return l;
    };
    if (wText > 0 && textRowIds.length > 0)
      loss = part(
        textRowIds,
        (x) => this.gpt.head(x),
        (i) => targets[i],
        wText / total,
      );
    if (wImage > 0 && rows.length > 0) {
      const img = part(
        rows,
        (x) =>
          this.imageLogitsMany(
            x,
            keepable && this.config.keepCode ? Float32Array.from(rows, (i) => (keepable[i] ? 0 : -1e9)) : null,
          ),
        (i) => this.canonicalOutput(targets[i] - Vt),
        wImage / total,
      );
      loss = loss ? add(loss, img) : img;
    }
    return loss ?? Tensor.from([0], [1]);
  }

  newCache(B = 1, Tmax = this.config.blockSize): KVCache[] {
    return this.gpt.newCache(B, Tmax);
  }

  /**
   * Logits (B, Tq, V) for Tq new tokens after what the caches hold (inference; call under noGrad). With
   * `imageOnly`, only the image outputs' logits (B, Tq, codeCount): inside an image span nothing else can be drawn, and the
   * text head is skipped. `codeEmbed` (codeEmbeddings(), for the current weights) scores the codes with one
   * (C x K) product instead of two through the tile features: the sampler forms it once per call.
   */
  forwardCached(
    ids: Int32Array,
    pos2d: Int32Array,
    B: number,
    Tq: number,
    caches: KVCache[],
    o: { imageOnly?: boolean; codeEmbed?: Tensor } = {},
  ): Tensor {
    const x = this.readAs(ids);
    const h = this.gpt.hiddenCached(x, B, Tq, caches, null, this.extraEmbedding(x, pos2d, B, Tq));
    const img = o.codeEmbed
      ? this.twinsMasked(this.plusMaskColor(h, linear(h, o.codeEmbed, null)))
      : this.imageLogits(h);
    return o.imageOnly ? img : concat([this.gpt.head(h), img], -1);
  }

  /** logits (..., K [+ KEEP]) of h . E (codeEmbeddings) plus the mask-times-colour term on the K codes. */
  private plusMaskColor(h: Tensor, logits: Tensor): Tensor {
    if (!this.config.keepCode) return this.withTerm(h, logits);
    const mc = this.maskColorLogits(h);
    return mc ? add(logits, concat([mc, Tensor.zeros([...mc.shape.slice(0, -1), 1])], -1)) : logits;
  }

  /** The image outputs' embeddings (K [+ KEEP], C) for the current weights: tiles img.out, then img.keep;
   *  output k's logit is h . E_k (plus, with maskColorRank, a term no fixed embedding can hold). */
  codeEmbeddings(): Tensor {
    const e = this.codeOut();
    return this.config.keepCode ? concat([e, this.params.get('img.keep')], 0) : e;
  }
}

/** Copies `from` into the leading rows and columns of `to`, a matrix of the same or more rows and columns
 *  (a table grown by an upgrade), and zeros the rest. */
function grownInto(to: Tensor, from: Tensor, name: string): void {
  if (to.size === from.size && to.shape.join() === from.shape.join()) {
    to.data.set(from.data);
    return;
  }
  const [rows, cols] = from.shape.length === 2 ? from.shape : [0, 0];
  const [toRows, toCols] = to.shape.length === 2 ? to.shape : [0, 0];
  if (rows === 0 || toRows < rows || toCols < cols)
    throw new Error(`MultimodalModel: ${name} [${from.shape}] cannot grow into [${to.shape}]`);
  to.data.fill(0);
  for (let r = 0; r < rows; r++) to.data.set(from.data.subarray(r * cols, (r + 1) * cols), r * toCols);
}

/** The feature row of one p x p RGB tile (values 0..255, pixel-major, channel last) into out[at..]: each
 *  value v mapped to [-1, 1], then their squares (3 p^2 each), then with `edges` its tileEdgeRow. */
export function tileFeatureRow(tile: ArrayLike<number>, p: number, edges: number, out: Float32Array, at: number): void {
  const n = 3 * p * p;
  for (let i = 0; i < n; i++) {
    const v = tile[i] / 127.5 - 1;
    out[at + i] = v;
    out[at + n + i] = v * v;
  }
  if (edges) tileEdgeRow(tile, p, out, at + 2 * n);
}

/** Colours of two pixels differ (by more than the tokenizer's decoding noise on a flat colour). */
const EDGE_THRESHOLD = 24;

/** The edges of one p x p RGB tile into out[at..]: p (p - 1) horizontal neighbour pairs, then p (p - 1)
 *  vertical ones, 1 where the two pixels' colours differ, else 0. */
export function tileEdgeRow(tile: ArrayLike<number>, p: number, out: Float32Array, at: number): void {
  const differs = (a: number, b: number) => {
    for (let ch = 0; ch < 3; ch++) if (Math.abs(tile[a * 3 + ch] - tile[b * 3 + ch]) > EDGE_THRESHOLD) return 1;
    return 0;
  };
  let j = at;
  for (let y = 0; y < p; y++) for (let x = 0; x + 1 < p; x++) out[j++] = differs(y * p + x, y * p + x + 1);
  for (let y = 0; y + 1 < p; y++) for (let x = 0; x < p; x++) out[j++] = differs(y * p + x, (y + 1) * p + x);
}
