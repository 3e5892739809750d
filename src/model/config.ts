// The multimodal model's config: a frozen object with documented defaults and named presets. Unknown keys
// are rejected; the config is saved as JSON next to the weights (config.json of the checkpoint).
//
// Vocabulary layout (one shared id space, V = textVocabSize + imageCodebookSize):
//   [0, textVocabSize)                       the text tokenizer's ids: bytes, BPE merges, then its specials
//                                            (<|user|> <|model|> <|image|> <|/image|> <|end|> <|pad|> ...)
//   [textVocabSize, textVocabSize + K)       image codes 0..K-1, offset by textVocabSize
//   textVocabSize + K                        with keepCode: KEEP, "this patch as in the previous image"
//                                            (only ever a target and a draw; what is fed is the code kept)
export interface ModelConfig {
  /** Ids of the text tokenizer (256 bytes + merges + special tokens). Set from the trained tokenizer. */
  textVocabSize: number;
  /** Codes of the image tokenizer (K). Set from the image tokenizer. */
  imageCodebookSize: number;
  /** Codes per image side: an image is grid * grid tokens, each with a learned row and column embedding. */
  imageGrid: number;
  /** Longest sequence in tokens (learned 1-D position table size). Longer items are cut at training time. */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Width C; divisible by nHead. */
  nEmbd: number;
  /** MLP hidden width (4 * nEmbd in GPT-2). */
  mlpHidden: number;
  /** Features of one image code's tile: 2 * 3 * patch^2 (pixel values and their squares; 384 for 8x8). */
  tileFeatures: number;
  /** Parameter initialisation seed. */
  seed: number;
  /** 1: one more image output, KEEP ("the code the previous image has at this grid position"), scored by a
   *  learned vector img.keep; edit targets that equal the previous image's code there become KEEP, and the
   *  sampler draws KEEP as that code. 0: none (checkpoints before it). multimodal.ts says why. */
  keepCode: number;
  /** > 0: the image head also scores a code by "where times what colour" of rank R: per row, R block masks
   *  (img.mask h) times R colours (img.color h), summed into each pixel's colour coefficient, so a shape
   *  and a colour learned apart combine into a tile never seen together (multimodal.ts says why). 0: none
   *  (checkpoints before it). */
  maskColorRank: number;
  /** 1: each code's tile features also hold its edges, 1 for each pair of neighbouring pixels whose colours
   *  differ (2 p (p - 1) more, 112 for 8x8 tiles; tileWidth): the same for a shape in every colour, so the
   *  shape of a tile is one direction of img.in and img.out whatever its colours (multimodal.ts says why).
   *  0: none (checkpoints before it). */
  tileEdges: number;
  /** > 0: factored image codes: a code's output embedding is the sum of three rows of img.factor (this many
   *  rows), its tile's foreground mask, foreground colour and background colour (code-factors.ts), in place
   *  of the pixel-linear img.out; the rows are a function of the image tokenizer, which must give exactly
   *  this many. 0: none (checkpoints before it). */
  codeFactorRows: number;
  /** Image tokens a patch: 1 (one VQ code a patch, grounded in its tile as above) or 2 (the two-code
   *  tokenizer, model/two-code.ts: each patch its shape code, then its colour code). With 2 an image is
   *  2 * grid * grid tokens; codes are plain rows (wte in, img.code out: a shape or colour code has no tile
   *  of its own), each token also gets a learned slot embedding (img.slot), and tileEdges, maskColorRank
   *  and codeFactorRows do not apply (0). multimodal.ts says why. */
  codesPerPatch: number;
}

/** Image tokens of one image under a config: codesPerPatch * imageGrid^2. */
export function codesPerImageOf(c: Readonly<ModelConfig>): number {
  return c.codesPerPatch * c.imageGrid * c.imageGrid;
}

/** Highest maskColorRank a config may ask for (the model and train configs both check it). */
export const MAX_MASK_COLOR_RANK = 16;

/** Side of a code's tile in pixels (tileFeatures are 6 * side^2). */
export function tileSide(c: Readonly<ModelConfig>): number {
  return Math.round(Math.sqrt(c.tileFeatures / 6));
}

/** Edge features of a tile with tileEdges (horizontal and vertical neighbour pairs), else 0. */
export function tileEdgeFeatures(c: Readonly<ModelConfig>): number {
  const p = tileSide(c);
  return c.tileEdges ? 2 * p * (p - 1) : 0;
}

/** Width of a code's feature row, which img.in reads and img.out scores: pixel features, then edges. */
export function tileWidth(c: Readonly<ModelConfig>): number {
  return c.tileFeatures + tileEdgeFeatures(c);
}

/** Mask blocks of a tile for the mask-times-colour term: 2x2-pixel blocks (16 of an 8x8 tile, whose
 *  tileFeatures are 6 * 8^2). */
export function maskBlocks(c: Readonly<ModelConfig>): number {
  return c.tileFeatures / 24;
}

const base: ModelConfig = {
  textVocabSize: 512,
  imageCodebookSize: 1024,
  imageGrid: 8,
  tileFeatures: 384,
  blockSize: 384,
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  mlpHidden: 512,
  seed: 1,
  keepCode: 0,
  maskColorRank: 0,
  tileEdges: 0,
  codeFactorRows: 0,
  codesPerPatch: 1,
};

export const MODEL_PRESETS = Object.freeze({
  /** The native model: every task, trained in one run. Width 128: at a fixed 28-minute budget the width-192
   *  model (`wide`) saw 0.6x the items and had not yet learned to bind prompts to images (docs/model.md). */
  default: Object.freeze<ModelConfig>({ ...base }),
  /** The earlier default, width 192 (2.6 M parameters). */
  wide: Object.freeze<ModelConfig>({ ...base, nEmbd: 192, mlpHidden: 768 }),
  /** A smaller text-to-image specialist (for the router): one prompt + one image fits in 160 tokens. */
  specialist: Object.freeze<ModelConfig>({ ...base, blockSize: 160, nLayer: 3, nEmbd: 128, mlpHidden: 512 }),
  /** Tiny: for tests that must train in seconds. */
  tiny: Object.freeze<ModelConfig>({ ...base, blockSize: 192, nLayer: 2, nHead: 2, nEmbd: 48, mlpHidden: 96 }),
});
export type PresetName = keyof typeof MODEL_PRESETS;

/** Upper bounds (docs/limits.md), checked before anything is allocated: far above what trains here, far
 *  below what would exhaust memory by accident (a config.json with nLayer 100000 is refused, not built). */
export const MODEL_LIMITS = Object.freeze({
  textVocabSize: 262_144,
  imageCodebookSize: 65_536,
  imageGrid: 64,
  blockSize: 16_384,
  nLayer: 96,
  nHead: 128,
  nEmbd: 8192,
  mlpHidden: 32_768,
  tileFeatures: 12_288,
  /** Three factors a code, and one row more. */
  codeFactorRows: 3 * 65_536 + 1,
  /** Parameters in all (a lower bound estimated from the config: 4 bytes each). */
  parameters: 500_000_000,
});

/** A lower bound on the parameters a config describes (the matrices and tables only). */
export function parameterEstimate(c: Readonly<ModelConfig>): number {
  const V = c.textVocabSize + c.imageCodebookSize;
  const C = c.nEmbd;
  const core = c.nLayer * (4 * C * C + 2 * C * c.mlpHidden) + (V + c.blockSize + c.textVocabSize) * C;
  if (c.codesPerPatch > 1) return core + c.imageCodebookSize * C; // img.code
  return (
    core +
    C * tileWidth(c) +
    (c.codeFactorRows ? 0 : C * tileWidth(c)) +
    c.codeFactorRows * C +
    c.maskColorRank * (Math.floor(maskBlocks(c)) + 3) * C
  );
}

/** A validated, frozen config: preset (by name or value) + overrides; unknown keys and bad values throw. */
export function modelConfig(
  overrides: Partial<Record<string, unknown>> = {},
  preset: PresetName | ModelConfig = 'default',
): Readonly<ModelConfig> {
  const from = typeof preset === 'string' ? MODEL_PRESETS[preset] : preset;
  if (!from)
    throw new Error(
      `model config: unknown preset "${String(preset)}" (known: ${Object.keys(MODEL_PRESETS).join(', ')})`,
    );
  const problems: string[] = [];
  for (const k of Object.keys(overrides))
    if (!(k in base)) problems.push(`unknown key "${k}" (known: ${Object.keys(base).join(', ')})`);
  const c = { ...from, ...overrides } as ModelConfig;
  for (const k of Object.keys(base) as (keyof ModelConfig)[]) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${k} must be a number, got ${JSON.stringify(v)}`);
    else if (k === 'keepCode' || k === 'tileEdges') {
      if (v !== 0 && v !== 1) problems.push(`${k} must be 0 or 1, got ${v}`);
    } else if (k === 'maskColorRank') {
      if (!Number.isInteger(v) || v < 0 || v > MAX_MASK_COLOR_RANK)
        problems.push(`maskColorRank must be an integer 0..${MAX_MASK_COLOR_RANK}, got ${v}`);
    } else if (k === 'codesPerPatch') {
      if (v !== 1 && v !== 2) problems.push(`codesPerPatch must be 1 or 2, got ${v}`);
    } else if (k === 'codeFactorRows') {
      if (!Number.isInteger(v) || v < 0) problems.push(`codeFactorRows must be an integer >= 0, got ${v}`);
    } else if (!Number.isInteger(v) || v < (k === 'seed' ? 0 : 1))
      problems.push(`${k} must be a positive integer, got ${v}`);
  }
  for (const [k, max] of Object.entries(MODEL_LIMITS))
    if (k !== 'parameters' && (c[k as keyof ModelConfig] as number) > max)
      problems.push(`${k} ${c[k as keyof ModelConfig]} exceeds the limit ${max}`);
  if (problems.length === 0 && parameterEstimate(c) > MODEL_LIMITS.parameters)
    problems.push(
      `the config describes at least ${parameterEstimate(c)} parameters, over the limit ${MODEL_LIMITS.parameters}`,
    );
  if (c.codeFactorRows && c.maskColorRank)
    problems.push(
      'codeFactorRows and maskColorRank cannot both be set (the term adds to img.out, which factored codes replace)',
    );
  if (c.nEmbd % c.nHead !== 0) problems.push(`nEmbd ${c.nEmbd} is not divisible by nHead ${c.nHead}`);
  if (c.codesPerPatch > 1 && (c.tileEdges || c.maskColorRank || c.codeFactorRows))
    problems.push(
      `codesPerPatch ${c.codesPerPatch} reads codes as plain rows: tileEdges, maskColorRank and codeFactorRows must be 0`,
    );
  if (c.blockSize < codesPerImageOf(c) + 2)
    problems.push(`blockSize ${c.blockSize} cannot hold one image of ${codesPerImageOf(c)} codes + markers`);
  if (problems.length) throw new Error(`model config: ${problems.join('; ')}`);
  return Object.freeze(c);
}
