// The kernel selection (native/select-kernels.mjs) and how the loader applies it: a generic BLAS core is
// replaced by a verified faster one, and a value the user set is never overridden. Each case runs in a
// child process, because the choice is made through environment variables read when the BLAS loads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { nativeAddonPath } from '../../src/tensor/kernels/native.js';
import { packageRoot } from '../../src/tensor/paths.js';

const addon = nativeAddonPath();
const root = packageRoot();
const nativeJs = join(root, 'dist', 'src', 'tensor', 'kernels', 'native.js');
const selection = (await import(pathToFileURL(join(root, 'native', 'select-kernels.mjs')).href)) as {
  cpuFeatures: () => string[];
};
const features = selection.cpuFeatures();
const hasAvx2 = features.includes('avx2') && features.includes('fma');

/** Loads the addon at `path` in a child with `env` and returns its info() and the loader's reason. */
function loadInChild(path: string, env: Record<string, string>): Record<string, string> {
  const code = `import(${JSON.stringify(nativeJs)}).then((m) => {
    const r = m.loadNativeKernels();
    if (!r.kernels) { console.error(r.reason); process.exit(3); }
    console.log(JSON.stringify({ ...r.kernels.info(), reason: r.reason }));
  });`;
  const clean = { ...process.env };
  for (const k of ['OPENBLAS_CORETYPE', 'TESSERA_GEMM']) delete clean[k];
  const r = spawnSync(process.execPath, ['-e', code], {
    env: { ...clean, TESSERA_NATIVE_PATH: path, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as Record<string, string>;
}

/** A copy of the addon in its own folder with the given selection file. */
function addonWith(chosen: Record<string, string>): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-select-'));
  const path = join(dir, 'tessera_native.node');
  copyFileSync(addon, path);
  const sel = { version: 1, cpuFeatures: [], detected: '', build: '', chosen, reason: 'test', tried: [] };
  writeFileSync(join(dir, 'kernels.json'), JSON.stringify(sel));
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const skipWhy = !existsSync(addon) ? 'native addon not built' : !existsSync(nativeJs) ? 'dist not built' : '';

test('the loader applies the selection, and a value the user set wins', { skip: skipWhy || false }, () => {
  const a = addonWith({ TESSERA_GEMM: 'own' });
  try {
    const chosen = loadInChild(a.path, {});
    assert.match(chosen.gemm, /^own/);
    assert.match(chosen.reason, /TESSERA_GEMM=own/);
    if (chosen.build === 'compiler-only') return; // only our own gemm exists there
    const user = loadInChild(a.path, { TESSERA_GEMM: 'blas' });
    assert.doesNotMatch(user.gemm, /^own/);
    assert.match(user.reason, /TESSERA_GEMM=blas \(set by you; selection said own\)/);
  } finally {
    a.done();
  }
});

test('a selected OpenBLAS core type is applied unless the user set one', { skip: skipWhy || false }, (t) => {
  const probe = loadInChild(addon, {});
  if (probe.build !== 'openblas' || !hasAvx2) {
    t.skip(`needs the OpenBLAS build on an AVX2 CPU (build ${probe.build})`);
    return;
  }
  const a = addonWith({ OPENBLAS_CORETYPE: 'Haswell' });
  try {
    assert.equal(loadInChild(a.path, {}).blasCore, 'Haswell');
    assert.equal(loadInChild(a.path, { OPENBLAS_CORETYPE: 'Zen' }).blasCore, 'Zen');
  } finally {
    a.done();
  }
});

test('a generic core on an AVX2 CPU is replaced by a verified faster one', { skip: skipWhy || false }, (t) => {
  const probe = loadInChild(addon, {});
  if (probe.build !== 'openblas' || !hasAvx2) {
    t.skip(`needs the OpenBLAS build on an AVX2 CPU (build ${probe.build})`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tessera-select-'));
  try {
    const out = join(dir, 'kernels.json');
    const clean = { ...process.env };
    for (const k of ['OPENBLAS_CORETYPE', 'TESSERA_GEMM']) delete clean[k];
    const r = spawnSync(
      process.execPath,
      [join(root, 'native', 'select-kernels.mjs'), '--detected-as', 'Prescott', '--out', out],
      { env: { ...clean, TESSERA_NATIVE_PATH: addon }, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const sel = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(sel.detected, 'Prescott');
    const labels = sel.tried.map((x: { label: string }) => x.label);
    assert.ok(labels.includes('OPENBLAS_CORETYPE=Haswell'), labels.join(', '));
    // every candidate was verified against the float64 reference
    for (const x of sel.tried) assert.equal(x.ok, true, `${x.label}: ${x.error}`);
    // the rule, on the rates it measured: the fastest passing candidate, the detected one kept only
    // when nothing is at least 10% faster (no speed is asserted: the machine may be busy)
    type Tried = { label: string; gflops: number };
    const tried = sel.tried as Tried[];
    const best = tried.reduce((a, b) => (b.gflops > a.gflops ? b : a));
    const detected = tried[0];
    const envOf = (x: Tried) =>
      x.label === 'as detected'
        ? {}
        : x.label === 'own gemm'
          ? { TESSERA_GEMM: 'own' }
          : { OPENBLAS_CORETYPE: x.label.split('=')[1] };
    if (best.gflops > detected.gflops * 1.1) assert.deepEqual(sel.chosen, envOf(best));
    else assert.deepEqual(sel.chosen, {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
