// `npm run bench:train-profile`: the default multimodal config on the default mixture, profiled. Prints
// items/s, real (non-padding) tokens/s, and the share of a step spent in matrix products, attention,
// elementwise kernels, the loss, the optimizer, batch building, and the rest (autograd bookkeeping and
// JavaScript around the kernels), with the items per minute next to the shipped run's.
//
// Each kernel call is timed through a wrapper around the active kernels (the wrapper costs ~1 us a call,
// counted in "rest"). Options: --steps N (timed, default 40), --warmup N (default 5), --config PRESET,
// --set key=value (train config overrides, repeatable).
import { type Kernels, kernels, useKernels } from '../src/tensor/index.js';
import { Trainer, trainConfig } from '../src/train/index.js';

/** The shipped model's run (README): 125k items in 1683 s of training (9,037 steps). */
const SHIPPED = { items: 125_000, seconds: 1683 };

const CATEGORY: Record<string, string> = {
  gemm: 'matrix products',
  attentionForward: 'attention',
  attentionBackward: 'attention',
  attentionCached: 'attention',
  crossEntropyForward: 'loss',
  crossEntropyBackward: 'loss',
  adamw: 'optimizer',
  sumSquares: 'optimizer',
};

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** Multiply-adds x 2 of the gemm calls made through the wrapper (the matrix products' rate). */
let gemmFlops = 0;

function timedKernels(inner: Kernels, acc: Map<string, number>): Kernels {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(inner)) {
    if (typeof fn !== 'function') continue;
    const cat = CATEGORY[name] ?? (process.env.PROFILE_BY_KERNEL ? name : 'elementwise kernels');
    out[name] = (...args: unknown[]) => {
      if (name === 'gemm') {
        const a = args as number[];
        gemmFlops += 2 * a[2] * a[3] * a[4] * a[19];
      }
      const t0 = performance.now();
      const r = (fn as (...a: unknown[]) => unknown).apply(inner, args);
      acc.set(cat, (acc.get(cat) ?? 0) + performance.now() - t0);
      return r;
    };
  }
  return out as unknown as Kernels;
}

function main(): void {
  const steps = Number(arg('steps', '40'));
  const warmup = Number(arg('warmup', '5'));
  const sets: Record<string, unknown> = {};
  process.argv.forEach((a, i) => {
    if (a === '--set') {
      const [k, v] = process.argv[i + 1].split('=');
      sets[k] = JSON.parse(v);
    }
  });
  const config = trainConfig({ ...sets, steps: steps + warmup }, arg('config', 'default') as 'default');
  const trainer = Trainer.create(config);
  const inner = kernels();
  const info = inner.info();
  console.log(
    `config ${arg('config', 'default')}: ${trainer.model.config.nLayer} layers, width ${trainer.model.config.nEmbd}, ` +
      `${trainer.model.params.count()} parameters, batchTokens ${config.batchTokens}; backend ${info.backend} ` +
      `(${info.gemm ?? info.blas}, ${info.threads} threads)`,
  );
  const acc = new Map<string, number>();
  useKernels(timedKernels(inner, acc));
  // batch building, timed on the trainer's own source (the step then trains on the batch it built)
  const t = trainer as unknown as { source: { next: () => unknown } };
  let batchMs = 0;
  let items = 0;
  let realTokens = 0;
  let paddedTokens = 0;
  const pad = trainer.tok.text.specialId('<|pad|>');
  {
    const src = t.source;
    const next = src.next.bind(src);
    src.next = () => {
      // kernels called while building (the image tokenizer's encoder) count as batch building
      const before = new Map(acc);
      const t0 = performance.now();
      const b = next() as { B: number; T: number; ids: Int32Array };
      batchMs += performance.now() - t0;
      for (const k of acc.keys()) acc.set(k, before.get(k) ?? 0);
      items += b.B;
      paddedTokens += b.B * b.T;
      for (const x of b.ids) if (x !== pad) realTokens++;
      return b;
    };
  }
  for (let s = 0; s < warmup; s++) trainer.trainStep();
  acc.clear();
  gemmFlops = 0;
  batchMs = 0;
  items = 0;
  realTokens = 0;
  paddedTokens = 0;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) trainer.trainStep();
  const total = performance.now() - t0;
  useKernels(inner);

  const parts = [...acc.entries()];
  const kernelMs = parts.reduce((a, [, v]) => a + v, 0);
  parts.push(['batch building', batchMs], ['rest (autograd, JS)', total - kernelMs - batchMs]);
  console.log(`\n${steps} steps: ${(total / steps).toFixed(1)} ms/step, ${(items / steps).toFixed(1)} items/step`);
  console.log(
    `items/s ${((items / total) * 1000).toFixed(1)}   real tokens/s ${((realTokens / total) * 1000).toFixed(0)}   ` +
      `real/padded tokens ${(realTokens / Math.max(1, paddedTokens)).toFixed(3)}`,
  );
  console.log(`\n${'part'.padEnd(24)}${'ms/step'.padStart(10)}${'share'.padStart(8)}`);
  for (const [name, ms] of parts.sort((a, b) => b[1] - a[1]))
    console.log(
      `${name.padEnd(24)}${(ms / steps).toFixed(1).padStart(10)}${((100 * ms) / total).toFixed(1).padStart(7)}%`,
    );
  const mm = acc.get('matrix products') ?? 0;
  console.log(
    `matrix products: ${(gemmFlops / steps / 1e9).toFixed(2)} GFLOP/step at ${(gemmFlops / mm / 1e6).toFixed(1)} GFLOPS` +
      ' (attention and the image encoder not included)',
  );
  const perMin = (items / total) * 60_000;
  const shipped = (SHIPPED.items / SHIPPED.seconds) * 60;
  console.log(
    `\nitems per minute: ${perMin.toFixed(0)} (the shipped run: ${shipped.toFixed(0)}); ratio ${(perMin / shipped).toFixed(2)}`,
  );
  console.log(`items in 28 minutes at this rate: ${((perMin * 28) / 1000).toFixed(0)}k`);
}

main();
