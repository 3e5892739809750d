// `npm run bench:train-step`: trains the reference GPT (4 layers, width 256, 4 heads, sequence 256, batch 8,
// vocabulary 2048) with tessera-native, tessera-js and PyTorch in ONE run, each in its own process (so peak
// memory is its own), and prints ms/step, tokens/s, peak RSS, and the throughput ratio native / PyTorch.
// The native run also trains --soak steps in total and prints RSS at the start and end (memory must not grow).
//
// Options: --steps N (timed steps, default 5), --soak N (native total steps, default 200), --js-steps N
// (default 1; the TypeScript backend is ~100x slower), --skip-js, --skip-torch.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GPT, GPT_PRESETS } from '../src/model/index.js';
import {
  AdamW,
  clipGradNorm,
  jsKernels,
  kernels,
  loadNativeKernels,
  Rng,
  tidy,
  useKernels,
} from '../src/tensor/index.js';
import { nativePeakGflops, readKernelSelection } from '../src/tensor/kernels/native.js';

const B = 8;
const cfg = GPT_PRESETS.reference;
const T = cfg.blockSize;

interface Result {
  ms_per_step: number;
  tokens_per_s: number;
  peak_rss_mb: number;
  losses: number[];
  threads: number;
  rss_start_mb?: number;
  rss_end_mb?: number;
  soak_steps?: number;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** Runs inside a child process: train with one backend, print a JSON result. */
function worker(backend: 'native' | 'js', steps: number, total: number): Result {
  if (backend === 'native') {
    const n = loadNativeKernels();
    if (!n.kernels) throw new Error(n.reason);
    useKernels(n.kernels);
  } else useKernels(jsKernels);
  const model = new GPT(cfg);
  const opt = new AdamW(model.params, { lr: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  const rng = new Rng(1);
  const ids = new Int32Array(B * T).map(() => rng.int(cfg.vocabSize));
  const targets = new Int32Array(B * T).map(() => rng.int(cfg.vocabSize));
  const warmup = Math.min(2, total - steps);
  const losses: number[] = [];
  const times: number[] = [];
  let rssStart = 0;
  for (let s = 0; s < total; s++) {
    const t0 = performance.now();
    const loss = tidy(() => {
      model.params.zeroGrad();
      const l = model.loss(ids, targets, B, T);
      l.backward();
      clipGradNorm(model.params, 1);
      opt.update();
      return l.item();
    });
    const dt = performance.now() - t0;
    losses.push(loss);
    if (s >= warmup && times.length < steps) times.push(dt);
    if (s === warmup) {
      global.gc?.();
      rssStart = process.memoryUsage().rss;
    }
    if (total > 20 && s % 50 === 49)
      process.stderr.write(
        `  ${backend}: step ${s + 1}/${total}, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MB\n`,
      );
  }
  global.gc?.();
  const ms = times.reduce((a, b) => a + b, 0) / times.length;
  return {
    ms_per_step: ms,
    tokens_per_s: (B * T) / (ms / 1000),
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    losses: losses.slice(0, steps + warmup),
    threads: kernels().info().threads,
    rss_start_mb: rssStart / 2 ** 20,
    rss_end_mb: process.memoryUsage().rss / 2 ** 20,
    soak_steps: total,
  };
}

function runChild(args: string[]): Result {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--expose-gc', self, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

function main(): void {
  const steps = arg('steps', 5);
  const soak = Math.max(arg('soak', 200), steps + 2);
  const native = loadNativeKernels();
  const threads = native.kernels ? native.kernels.info().threads : 1;
  console.log(
    `reference model: ${cfg.nLayer} layers, width ${cfg.nEmbd}, ${cfg.nHead} heads, seq ${T}, batch ${B}, vocab ${cfg.vocabSize}`,
  );
  console.log(`threads: ${threads}${native.kernels ? ` (${native.kernels.info().blas})` : ''}`);
  const rows: [string, Result][] = [];
  if (native.kernels) {
    console.log(`tessera-native: ${soak} steps (timing ${steps} after warm-up)...`);
    rows.push(['tessera-native', runChild(['--worker', 'native', '--steps', String(steps), '--total', String(soak)])]);
  } else console.log(`tessera-native: not available (${native.reason})`);
  if (!process.argv.includes('--skip-js')) {
    const js = arg('js-steps', 1);
    console.log(`tessera-js: ${js} step(s)...`);
    rows.push(['tessera-js', runChild(['--worker', 'js', '--steps', String(js), '--total', String(js + 1)])]);
  }
  let torch: Result | null = null;
  let torchBest: Result | null = null;
  let torchBestLabel = '';
  if (!process.argv.includes('--skip-torch')) {
    // PyTorch at its best setting: its own thread count (same as tessera, and 1, since its CPU threading
    // can lose on 2 cores) times the BLAS's threads (Debian's PyTorch calls OpenBLAS through libblas, which
    // keeps its own thread pool: OPENBLAS_NUM_THREADS), all on the BLAS core type tessera's kernel
    // selection chose (the same footing). Every setting is printed; the ratio is against the best.
    const core = process.env.OPENBLAS_CORETYPE ?? readKernelSelection()?.chosen.OPENBLAS_CORETYPE;
    const counts = threads === 1 ? [1] : [threads, 1];
    const settings = counts.flatMap((t) => counts.map((b) => ({ t, b })));
    for (const { t, b } of settings) {
      const label = `pytorch ${t}t blas${b}t${core ? ` ${core}` : ''}`;
      console.log(`${label}: ...`);
      try {
        const script = fileURLToPath(new URL('../../bench/train_step_torch.py', import.meta.url));
        const out = execFileSync('/usr/bin/python3', [script, '--threads', String(t), '--steps', String(steps)], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, OPENBLAS_NUM_THREADS: String(b), ...(core ? { OPENBLAS_CORETYPE: core } : {}) },
        });
        const r = JSON.parse(out.trim().split('\n').pop()!) as Result & { torch: string };
        rows.push([`${label} (${r.torch})`, r]);
        if (t === threads && b === threads) torch = r;
        if (!torchBest || r.tokens_per_s > torchBest.tokens_per_s) {
          torchBest = r;
          torchBestLabel = label;
        }
      } catch (e) {
        console.log(`pytorch: not available (${(e as Error).message.split('\n')[0]}); apt-get install python3-torch`);
        break;
      }
    }
  }
  console.log('');
  console.log(
    `${'engine'.padEnd(22)}${'ms/step'.padStart(10)}${'tokens/s'.padStart(10)}${'peak MB'.padStart(10)}  first losses`,
  );
  for (const [name, r] of rows)
    console.log(
      `${name.padEnd(22)}${r.ms_per_step.toFixed(0).padStart(10)}${r.tokens_per_s.toFixed(0).padStart(10)}${r.peak_rss_mb.toFixed(0).padStart(10)}  ${r.losses
        .slice(0, 3)
        .map((l) => l.toFixed(4))
        .join(' ')}`,
    );
  const nat = rows.find(([n]) => n === 'tessera-native')?.[1];
  if (nat?.rss_start_mb !== undefined)
    console.log(
      `\ntessera-native RSS over ${nat.soak_steps} steps: ${nat.rss_start_mb.toFixed(1)} MB after warm-up -> ${nat.rss_end_mb!.toFixed(1)} MB at the end (${(nat.rss_end_mb! - nat.rss_start_mb).toFixed(1)} MB)`,
    );
  if (nat && torch)
    console.log(
      `tessera-native vs pytorch at the same threads (${threads}t, blas ${threads}t): ${(nat.tokens_per_s / torch.tokens_per_s).toFixed(3)}`,
    );
  if (nat && torchBest)
    console.log(
      `tessera-native/pytorch throughput ratio: ${(nat.tokens_per_s / torchBest.tokens_per_s).toFixed(3)} (pytorch at its best setting: ${torchBestLabel})`,
    );
  if (nat) {
    // the physical bound: the step's matrix-product flops at the machine's measured FMA peak
    const peak = nativePeakGflops();
    const L = cfg.nLayer;
    const C = cfg.nEmbd;
    const tokens = B * T;
    const perToken = L * (4 * C * C + 2 * C * cfg.mlpHidden) + C * cfg.vocabSize;
    const attention = L * B * T * T * C; // QK^T and PV over the causal half, multiply-adds
    const flops = 2 * 3 * (tokens * perToken + attention);
    if (peak)
      console.log(
        `physical bound: ${(flops / 1e9).toFixed(1)} GFLOP a step at the measured peak ${peak.toFixed(1)} GFLOPS = ${((flops / peak) * 1e-6).toFixed(0)} ms/step; tessera-native runs at ${((flops / (nat.ms_per_step / 1000) / 1e9 / peak) * 100).toFixed(0)}% of it`,
      );
  }
}

const w = process.argv.indexOf('--worker');
if (w >= 0) {
  const r = worker(process.argv[w + 1] as 'native' | 'js', arg('steps', 5), arg('total', 7));
  console.log(JSON.stringify(r));
} else main();
