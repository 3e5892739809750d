// The VQ-VAE image tokenizer's config: a frozen object with commented defaults and named presets
// (`default` is what ships in models/image-tokenizer/, `tiny` is for tests). Unknown keys are rejected
// and every value is range-checked, so a typo in a config.json or a CLI override fails loudly.

export interface VqvaeConfig {
  /** 'patch': one conv with kernel = stride = patch (a per-patch MLP with 1x1 res blocks), cheap and exact
   *  on the patch-aligned scene world; 'conv': stride-2 k4 convs (wider context, 5x the compute). */
  arch: 'patch' | 'conv';
  /** Image side in pixels (square RGB). The scene world is 64 (see `tessera world spec`). */
  imageSize: number;
  /** Number of stride-2 convolutions; the code grid is imageSize / 2^downsamples per side (64 / 8 = 8). */
  downsamples: number;
  /** Hidden channels of the conv stacks. */
  channels: number;
  /** Extra 3x3 convs (with residual connections) at the code resolution, in the encoder and the decoder. */
  resBlocks: number;
  /** Dimension of a code vector. */
  codeDim: number;
  /** Number of codebook entries; codes are 0 .. codebookSize - 1. */
  codebookSize: number;
  /** EMA decay of the codebook statistics (cluster sizes and sums). */
  emaDecay: number;
  /** Weight of the commitment loss ||z - sg(q)||^2 that keeps encoder outputs near their codes. */
  commitment: number;
  /** A code whose EMA cluster size falls below this is dead and restarted from a random encoder output. */
  deadThreshold: number;
}

const DEFAULT: VqvaeConfig = {
  arch: 'patch',
  imageSize: 64,
  downsamples: 3,
  channels: 256,
  resBlocks: 1,
  codeDim: 32,
  // 2048: one code for each of the world's 995 distinct tiles, and about a thousand for emoji detail.
  codebookSize: 2048,
  emaDecay: 0.95,
  commitment: 0.25,
  // Low, so that a rare tile's code (seen about once a step) is never taken for emoji.
  deadThreshold: 0.005,
};

export const VQVAE_PRESETS: Readonly<Record<string, Readonly<VqvaeConfig>>> = Object.freeze({
  default: Object.freeze({ ...DEFAULT }),
  /** For tests: 16x16 images, a 2x2 grid, a few thousand parameters; trains in a second on the js backend. */
  tiny: Object.freeze({
    ...DEFAULT,
    imageSize: 16,
    channels: 8,
    resBlocks: 0,
    codeDim: 4,
    codebookSize: 16,
    deadThreshold: 0.01,
  }),
});

const RANGES: Record<Exclude<keyof VqvaeConfig, 'arch'>, [number, number, boolean]> = {
  // [min, max, integer]
  imageSize: [4, 1024, true],
  downsamples: [1, 6, true],
  channels: [1, 1024, true],
  resBlocks: [0, 16, true],
  codeDim: [1, 1024, true],
  codebookSize: [2, 65536, true],
  emaDecay: [0, 0.9999, false],
  commitment: [0, 10, false],
  deadThreshold: [0, 1e6, false],
};

/** A frozen config from a preset name plus overrides; throws naming every unknown key or bad value. */
export function makeVqvaeConfig(overrides: Record<string, unknown> = {}, preset = 'default'): Readonly<VqvaeConfig> {
  const base = VQVAE_PRESETS[preset];
  if (!base)
    throw new Error(`vqvae config: unknown preset "${preset}" (known: ${Object.keys(VQVAE_PRESETS).join(', ')})`);
  const problems: string[] = [];
  const unknown = Object.keys(overrides).filter((k) => !(k in RANGES) && k !== 'arch');
  if (unknown.length > 0)
    problems.push(
      `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: arch, ${Object.keys(RANGES).join(', ')})`,
    );
  const cfg = { ...base } as VqvaeConfig;
  if ('arch' in overrides) {
    if (overrides.arch === 'patch' || overrides.arch === 'conv') cfg.arch = overrides.arch;
    else problems.push(`arch must be "patch" or "conv", got ${JSON.stringify(overrides.arch)}`);
  }
  for (const [key, [lo, hi, int]] of Object.entries(RANGES) as [
    Exclude<keyof VqvaeConfig, 'arch'>,
    [number, number, boolean],
  ][]) {
    if (!(key in overrides)) continue;
    const v = overrides[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v)))
      problems.push(`${key} must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    else cfg[key] = v;
  }
  const factor = 2 ** cfg.downsamples;
  if (cfg.imageSize % factor !== 0)
    problems.push(`imageSize ${cfg.imageSize} is not divisible by 2^downsamples = ${factor}`);
  if (problems.length > 0) throw new Error(`vqvae config: ${problems.join('; ')}`);
  return Object.freeze(cfg);
}

/** Codes per side of the grid. */
export function gridOf(c: VqvaeConfig): number {
  return c.imageSize / 2 ** c.downsamples;
}
