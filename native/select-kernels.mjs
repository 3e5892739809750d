// Chooses the matrix-product kernels for this machine, verified and measured, never assumed; run by the
// install step after a build (native/install.mjs) and by `tessera doctor --select`.
//
// Candidates: the BLAS as it detects the CPU; when OpenBLAS reports a generic core (e.g. Prescott, SSE3) on a
// CPU with AVX2 or AVX-512, the core types the CPU supports (OPENBLAS_CORETYPE, which only takes effect
// before the library loads, so each candidate runs in a child process); and our own gemm (TESSERA_GEMM=own).
// Each child checks gemm against a float64 reference on every transpose, odd sizes and beta, then times the
// reference sizes. The fastest candidate that passes wins; the BLAS as detected is kept unless another is
// at least 10% faster. A value the user set (OPENBLAS_CORETYPE, TESSERA_GEMM) is never overridden: it is
// the only candidate for its knob (some OpenBLAS builds compute wrong results on some CPUs, and people set
// it on purpose). The result goes to kernels.json next to the addon; src/tensor/kernels/native.ts applies it.
//
//   node native/select-kernels.mjs            select and write kernels.json, print a summary
//   node native/select-kernels.mjs --probe    (child) verify and time the addon as loaded, print JSON
//   --detected-as CORE                        pretend OpenBLAS detected CORE (e.g. Prescott), to reproduce
//                                             and test the generic-core case on any machine
//   --out FILE                                write the selection there instead of next to the addon
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const addonPath = process.env.TESSERA_NATIVE_PATH ? resolve(process.env.TESSERA_NATIVE_PATH) : join(root, 'build', 'Release', 'tessera_native.node');
const argAfter = (flag) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const outPath = argAfter('--out') ?? join(dirname(addonPath), 'kernels.json');
const detectedAs = argAfter('--detected-as');

// The reference products: the GPT benchmark's QKV projection and its two backward products.
const SIZES = [
  { M: 2048, N: 768, K: 256, ta: false, tb: false },
  { M: 2048, N: 256, K: 768, ta: false, tb: true },
  { M: 256, N: 768, K: 2048, ta: true, tb: false },
];

function probe() {
  const addon = createRequire(import.meta.url)(addonPath);
  const info = addon.info();
  let seed = 7;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296 - 0.5;
  };
  const fill = (n) => Float32Array.from({ length: n }, rand);
  let maxErr = 0;
  let ok = true;
  // correctness: every transpose pair, sizes that do not divide any tile, and beta != 0
  for (const [M, N, K] of [
    [1, 1, 1],
    [7, 13, 5],
    [37, 53, 71],
    [64, 96, 300],
    [130, 17, 257],
  ])
    for (const ta of [false, true])
      for (const tb of [false, true])
        for (const beta of [0, 0.5]) {
          const lda = (ta ? M : K) + 3;
          const ldb = (tb ? K : N) + 1;
          const ldc = N + 2;
          const A = fill((ta ? K : M) * lda);
          const B = fill((tb ? N : K) * ldb);
          const C0 = fill(M * ldc);
          const C = C0.slice();
          addon.gemm(ta, tb, M, N, K, 1.5, A, 0, lda, 0, B, 0, ldb, 0, beta, C, 0, ldc, 0, 1);
          for (let i = 0; i < M; i++)
            for (let j = 0; j < N; j++) {
              let s = 0;
              let mag = 0;
              for (let k = 0; k < K; k++) {
                const p = (ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
                s += p;
                mag += Math.abs(p);
              }
              const want = 1.5 * s + beta * C0[i * ldc + j];
              const err = Math.abs(C[i * ldc + j] - want) / (1.5 * mag + Math.abs(beta * C0[i * ldc + j]) + 1e-30);
              maxErr = Math.max(maxErr, err);
              if (!(err < 1e-5)) ok = false;
            }
        }
  // speed: best of 5 rounds of ~120 ms at each reference size
  const ms = [];
  for (const { M, N, K, ta, tb } of SIZES) {
    const A = fill(M * K);
    const B = fill(K * N);
    const C = new Float32Array(M * N);
    const call = () => addon.gemm(ta, tb, M, N, K, 1, A, 0, ta ? M : K, 0, B, 0, tb ? K : N, 0, 0, C, 0, N, 0, 1);
    call();
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 5; r++) {
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 120) {
        call();
        n++;
      }
      best = Math.min(best, (performance.now() - t0) / n);
    }
    ms.push(best);
  }
  const flops = SIZES.reduce((s, { M, N, K }) => s + 2 * M * N * K, 0);
  const total = ms.reduce((a, b) => a + b, 0);
  const result = {
    build: info.build,
    gemm: info.gemm,
    blasCore: info.blasCore,
    threads: info.threads,
    ok,
    maxRelErr: maxErr,
    ms,
    gflops: flops / total / 1e6,
  };
  if (typeof addon.peakGflops === 'function') result.peakGflops = addon.peakGflops(0.25);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The CPU features that matter to the kernels (Linux /proc/cpuinfo; [] elsewhere). Also used by
 *  bench/gemm.ts and test/tensor/select.test.ts. */
export function cpuFeatures() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    const flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
    return ['sse3', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_bf16', 'avx512_fp16', 'amx_tile'].filter(
      (f) => flags.has(f) || (f === 'sse3' && flags.has('pni')),
    );
  } catch {
    return [];
  }
}

const AVX512_CORES = ['skylakex', 'cooperlake', 'sapphirerapids'];
const AVX2_CORES = ['haswell', 'zen', 'excavator', ...AVX512_CORES];

/** Every OpenBLAS core type this CPU can run that tessera tries (for benches and tests of each). */
export function supportedCoreTypes(features = cpuFeatures()) {
  const has = (f) => features.includes(f);
  return [
    ...(has('avx2') && has('fma') ? ['Haswell', 'Zen'] : []),
    ...(has('avx512f') ? ['SkylakeX'] : []),
    ...(has('avx512_bf16') ? ['Cooperlake'] : []),
  ];
}

// OpenBLAS core types worth trying when the detected one is generic for this CPU (best first).
function coreCandidates(detected, features) {
  const core = detected.toLowerCase();
  const has = (f) => features.includes(f);
  if (has('avx512f') && !AVX512_CORES.includes(core))
    return [...(has('avx512_bf16') ? ['Cooperlake'] : []), 'SkylakeX', 'Haswell'];
  if (has('avx2') && has('fma') && !AVX2_CORES.includes(core)) return ['Haswell', 'Zen'];
  return [];
}

function runProbe(env) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--probe'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0)
    return { ok: false, error: (r.stderr || `exit ${r.status ?? r.signal}`).trim().split('\n').slice(-1)[0] };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { ok: false, error: `unreadable probe output: ${r.stdout.slice(0, 200)}` };
  }
}

function select() {
  if (!existsSync(addonPath)) {
    console.log(`tessera: no addon at ${addonPath}; nothing to select`);
    return;
  }
  const features = cpuFeatures();
  const userCore = detectedAs === undefined ? process.env.OPENBLAS_CORETYPE : undefined;
  const userGemm = process.env.TESSERA_GEMM;
  const base = runProbe({
    TESSERA_GEMM: userGemm ?? 'blas',
    ...(detectedAs !== undefined ? { OPENBLAS_CORETYPE: detectedAs } : {}),
  });
  const tried = [{ label: 'as detected', env: {}, ...base }];
  if (base.build === 'openblas' && userCore === undefined)
    for (const core of coreCandidates(base.blasCore ?? '', features)) {
      const r = runProbe({ OPENBLAS_CORETYPE: core, TESSERA_GEMM: userGemm ?? 'blas' });
      // a core type that did not take (unknown to this build) is not a candidate
      if (r.ok && r.blasCore && r.blasCore.toLowerCase() !== core.toLowerCase()) {
        r.ok = false;
        r.error = `OPENBLAS_CORETYPE=${core} gave ${r.blasCore}`;
      }
      tried.push({ label: `OPENBLAS_CORETYPE=${core}`, env: { OPENBLAS_CORETYPE: core }, ...r });
    }
  // a user who chose a BLAS core type chose the BLAS: our gemm is not offered instead
  if (base.build !== 'compiler-only' && userGemm === undefined && userCore === undefined)
    tried.push({ label: 'own gemm', env: { TESSERA_GEMM: 'own' }, ...runProbe({ TESSERA_GEMM: 'own' }) });

  const detected = tried[0];
  const passing = tried.filter((t) => t.ok);
  let chosen = passing[0];
  let reason;
  if (!base.ok) reason = `the BLAS as detected failed verification (${base.error ?? 'wrong results'})`;
  for (const t of passing) if (t.gflops > chosen.gflops * (chosen === detected ? 1.1 : 1)) chosen = t;
  if (!chosen) reason = 'no candidate passed verification; the defaults stay (the kernel tests will say more)';
  else if (chosen === detected)
    reason =
      base.build === 'compiler-only'
        ? 'compiler-only build: our own gemm is the only one'
        : userCore !== undefined || userGemm !== undefined
          ? `kept what the user set (${userCore !== undefined ? `OPENBLAS_CORETYPE=${userCore}` : `TESSERA_GEMM=${userGemm}`})`
          : `the BLAS as detected (${base.blasCore || base.gemm}) is within 10% of the fastest alternative`;
  else
    reason ??= `${chosen.label} is ${(chosen.gflops / base.gflops).toFixed(2)}x the BLAS as detected (${base.blasCore || base.gemm})`;
  const out = {
    version: 1,
    cpuFeatures: features,
    detected: base.blasCore ?? '',
    build: base.build ?? '',
    chosen: chosen ? chosen.env : {},
    reason: reason ?? '',
    tried: tried.map(({ label, ok, gflops, maxRelErr, error, gemm, blasCore }) => ({
      label,
      ok,
      gflops,
      maxRelErr,
      gemm,
      blasCore,
      error,
    })),
    peakGflops: base.peakGflops,
  };
  writeFileSync(outPath, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`tessera: kernels for this CPU (${features.join(' ') || 'features unknown'}):`);
  for (const t of out.tried)
    console.log(
      `  ${t.label.padEnd(28)} ${t.ok ? `${t.gflops.toFixed(1).padStart(6)} GFLOPS  ${t.gemm}` : `failed: ${t.error ?? 'wrong results'}`}`,
    );
  console.log(`  chosen: ${JSON.stringify(out.chosen)}: ${out.reason} (written to ${outPath})`);
}

// run as a script (not when bench/gemm.ts or a test imports cpuFeatures / supportedCoreTypes)
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  if (process.argv.includes('--probe')) probe();
  else select();
}
