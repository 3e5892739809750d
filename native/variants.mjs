// Builds every native variant this machine can build into build-variants/<name>/ (compiler-only always;
// BLIS and OpenBLAS when installed), each with its own verified kernel selection, then rebuilds the default
// addon. CI runs the kernel agreement tests against each (TESSERA_NATIVE_PATH), and bench/gemm.ts compares
// them in one run.
//   node native/variants.mjs            (npm run build:native:variants)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = [];
const auto = spawnSync(process.execPath, [join(root, 'native', 'configure.cjs'), 'blas'], { encoding: 'utf8' }).stdout;
const variantDir = (blas) => join(root, 'build-variants', blas === 'none' ? 'compiler-only' : blas);
// the default build comes last, from install.mjs, so it is built once
for (const blas of ['none', 'blis', 'openblas'].filter((b) => b !== auto)) {
  const env = { ...process.env, TESSERA_NATIVE_BLAS: blas };
  const probe = spawnSync(process.execPath, [join(root, 'native', 'configure.cjs'), 'blas'], { env, encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`variants: ${blas} not installed here, skipped`);
    continue;
  }
  console.log(`variants: building ${blas}`);
  if (spawnSync('node-gyp', ['rebuild'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) {
    console.log(`variants: ${blas} build failed`);
    process.exitCode = 1;
    continue;
  }
  const dir = variantDir(blas);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const addon = join(dir, 'tessera_native.node');
  copyFileSync(join(root, 'build', 'Release', 'tessera_native.node'), addon);
  spawnSync(process.execPath, [join(root, 'native', 'select-kernels.mjs')], {
    env: { ...process.env, TESSERA_NATIVE_PATH: addon },
    stdio: 'inherit',
  });
  built.push(addon);
}
// the default addon back in build/Release, and a copy of it with its selection as a variant
spawnSync(process.execPath, [join(root, 'native', 'install.mjs'), '--force'], { cwd: root, stdio: 'inherit' });
const release = join(root, 'build', 'Release');
if (existsSync(join(release, 'tessera_native.node'))) {
  const dir = variantDir(auto);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of ['tessera_native.node', 'kernels.json'])
    if (existsSync(join(release, f))) copyFileSync(join(release, f), join(dir, f));
  built.push(join(dir, 'tessera_native.node'));
}
console.log(`variants: ${built.join(' ')}`);
