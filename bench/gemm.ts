// `npm run bench:gemm`: matrix-product speed of every native build and BLAS choice on this machine, in ONE
// run, next to the machine's measured peak (an FMA loop on every thread at once). Each configuration runs
// in its own process (OpenBLAS reads its core type when it loads) through the same verified probe the
// install step uses (native/select-kernels.mjs --probe): gemm checked against a float64 reference, then
// timed at the reference sizes (the GPT bench's QKV product and its two backward products).
//
// Builds come from build-variants/ (npm run build:native:variants) and build/Release. Prints GFLOPS per
// size, the share of the peak, and the compiler-only build against the best BLAS. The configurations run
// round-robin --rounds times (default 3) and each keeps its best round: a shared machine's slow spells
// then hit every configuration alike instead of whichever ran during them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/tensor/paths.js';

interface Probe {
  build: string;
  gemm: string;
  blasCore: string;
  ok: boolean;
  maxRelErr: number;
  ms: number[];
  gflops: number;
  peakGflops?: number;
  error?: string;
}

const SIZES = ['2048x768x256 NN', '2048x256x768 NT', '256x768x2048 TN'];
const FLOPS = [2 * 2048 * 768 * 256, 2 * 2048 * 256 * 768, 2 * 256 * 768 * 2048];

const root = packageRoot();

function probe(addon: string, env: Record<string, string>): Probe {
  const clean = { ...process.env };
  for (const k of ['OPENBLAS_CORETYPE', 'TESSERA_GEMM']) delete clean[k];
  const r = spawnSync(process.execPath, [join(root, 'native', 'select-kernels.mjs'), '--probe'], {
    env: { ...clean, TESSERA_NATIVE_PATH: addon, ...env },
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status !== 0)
    return {
      ok: false,
      error: (r.stderr || `exit ${r.status ?? r.signal}`).trim().split('\n').pop(),
    } as Probe;
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Probe;
}

/** cpuFeatures / supportedCoreTypes of the install step's selection script (one reading of the CPU). */
const selection = (await import(pathToFileURL(join(root, 'native', 'select-kernels.mjs')).href)) as {
  cpuFeatures: () => string[];
  supportedCoreTypes: (features?: string[]) => string[];
};

function main(): void {
  const addons: { name: string; path: string }[] = [];
  const variants = join(root, 'build-variants');
  if (existsSync(variants))
    for (const v of readdirSync(variants).sort()) {
      const p = join(variants, v, 'tessera_native.node');
      if (existsSync(p)) addons.push({ name: v, path: p });
    }
  const release = join(root, 'build', 'Release', 'tessera_native.node');
  if (addons.length === 0 && existsSync(release)) addons.push({ name: 'build/Release', path: release });
  if (addons.length === 0) {
    console.log('no native build found: npm run build:native:variants');
    process.exit(1);
  }
  const features = selection.cpuFeatures();
  const cores = selection.supportedCoreTypes(features);

  const configs: { label: string; path: string; env: Record<string, string> }[] = [];
  for (const a of addons) {
    const base = probe(a.path, { TESSERA_GEMM: 'blas' });
    configs.push({
      label: `${a.name}: ${base.build === 'compiler-only' ? 'own gemm' : 'BLAS as detected'}`,
      path: a.path,
      env: { TESSERA_GEMM: 'blas' },
    });
    if (base.build === 'compiler-only') continue;
    configs.push({ label: `${a.name}: own gemm`, path: a.path, env: { TESSERA_GEMM: 'own' } });
    if (base.build === 'openblas')
      for (const core of cores)
        if (core.toLowerCase() !== base.blasCore.toLowerCase())
          configs.push({
            label: `${a.name}: OPENBLAS_CORETYPE=${core}`,
            path: a.path,
            env: { OPENBLAS_CORETYPE: core, TESSERA_GEMM: 'blas' },
          });
  }
  const rounds = Math.max(1, Number(process.argv[process.argv.indexOf('--rounds') + 1] ?? 3) || 3);
  const best = new Map<string, Probe>();
  for (let r = 0; r < rounds; r++)
    for (const c of configs) {
      const p = probe(c.path, c.env);
      const prev = best.get(c.label);
      if (!prev?.ok || (p.ok && p.gflops > prev.gflops)) {
        if (prev?.peakGflops && p.peakGflops) p.peakGflops = Math.max(p.peakGflops, prev.peakGflops);
        best.set(c.label, p);
      } else if (prev.peakGflops !== undefined && p.peakGflops)
        prev.peakGflops = Math.max(prev.peakGflops, p.peakGflops);
    }
  const rows = configs.map((c) => ({ label: c.label, p: best.get(c.label)! }));
  const peaks = rows.map((r) => r.p.peakGflops ?? 0).filter((x) => x > 0);
  const peak = Math.max(...peaks);
  console.log(`CPU features: ${features.join(' ')}`);
  console.log(
    `measured FMA peak (all threads): ${peak.toFixed(1)} GFLOPS (best of ${rounds * configs.length} measurements; ${rounds} rounds)\n`,
  );
  console.log(
    `${'configuration'.padEnd(44)}${SIZES.map((s) => s.padStart(17)).join('')}${'mean'.padStart(8)}${'of peak'.padStart(9)}  kernels`,
  );
  for (const { label, p } of rows) {
    if (!p.ok) {
      console.log(`${label.padEnd(44)}failed: ${p.error ?? `wrong results (max rel err ${p.maxRelErr})`}`);
      continue;
    }
    const per = p.ms.map((ms, i) => (FLOPS[i] / ms / 1e6).toFixed(1).padStart(17)).join('');
    console.log(
      `${label.padEnd(44)}${per}${p.gflops.toFixed(1).padStart(8)}${`${((100 * p.gflops) / peak).toFixed(0)}%`.padStart(9)}  ${p.gemm}`,
    );
  }
  const ok = rows.filter((r) => r.p.ok);
  const own = ok.filter((r) => r.p.build === 'compiler-only')[0];
  const blas = ok.filter((r) => !r.label.endsWith('own gemm'));
  const bestBlas = blas.reduce<(typeof rows)[0] | null>((a, b) => (!a || b.p.gflops > a.p.gflops ? b : a), null);
  const top = ok.reduce((a, b) => (b.p.gflops > a.p.gflops ? b : a));
  console.log(
    `\nbest: ${top.label}, ${top.p.gflops.toFixed(1)} GFLOPS = ${((100 * top.p.gflops) / peak).toFixed(0)}% of the measured peak`,
  );
  if (own && bestBlas)
    console.log(
      `compiler-only build vs the best BLAS (${bestBlas.label}): ${(own.p.gflops / bestBlas.p.gflops).toFixed(3)}`,
    );
}

main();
