// The npm install step (package.json "install"): builds the native addon once, then picks its kernels.
//
// - Rebuilds only when the addon is missing or its inputs changed (the C++ sources, binding.gyp, the BLAS
//   choice, Node's ABI): a stamp next to the addon records them. `npm run build:native` (or
//   TESSERA_REBUILD=1) always rebuilds.
// - Never builds under `npx tessera` (npm_command=exec): npx links the project into its cache and runs this
//   step in the project's folder, which would replace the addon under running processes. It says so instead.
// - Then runs native/select-kernels.mjs, which measures and verifies the matrix-product choices and writes
//   build/Release/kernels.json (read when the addon loads; `tessera doctor` prints it).
// - A failed build is not an error: the TypeScript kernels take over, and the reason is printed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const addon = join(root, 'build', 'Release', 'tessera_native.node');
const stampFile = join(root, 'build', 'Release', 'build-stamp.json');

function run(cmd, args, env = process.env) {
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status === 0;
}

function blasChoice() {
  const r = spawnSync(process.execPath, [join(root, 'native', 'configure.cjs'), 'blas'], {
    cwd: root,
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : `error: ${r.stderr.trim()}`;
}

function stamp() {
  const h = createHash('sha256');
  const nativeDir = join(root, 'native');
  // only what the compiler sees (the selection scripts are not build inputs)
  for (const f of readdirSync(nativeDir).sort())
    if (/\.(cc|h|cjs)$/.test(f)) h.update(f).update(readFileSync(join(nativeDir, f)));
  h.update(readFileSync(join(root, 'binding.gyp')));
  return { inputs: h.digest('hex'), blas: blasChoice(), abi: process.versions.modules, arch: process.arch };
}

function upToDate(want) {
  if (!existsSync(addon) || !existsSync(stampFile)) return false;
  try {
    const have = JSON.parse(readFileSync(stampFile, 'utf8'));
    return Object.keys(want).every((k) => have[k] === want[k]);
  } catch {
    return false;
  }
}

const want = stamp();
if (process.env.npm_command === 'exec' && process.env.TESSERA_REBUILD !== '1') {
  if (!upToDate(want))
    console.log('tessera: the native addon is missing or out of date; npm run build:native builds it (npx never does)');
  process.exit(0);
}
const force = process.argv.includes('--force') || process.env.TESSERA_REBUILD === '1';
if (!force && upToDate(want)) {
  console.log(`tessera: native addon up to date (${want.blas}); npm run build:native rebuilds it`);
  process.exit(0);
}
console.log(`tessera: building the native addon (BLAS: ${want.blas})`);
// node-gyp comes with npm: npm puts it on the PATH of every script it runs
if (!run('node-gyp', ['rebuild'])) {
  console.log('tessera: native build failed, the TypeScript backend will be used');
  process.exit(0);
}
writeFileSync(stampFile, `${JSON.stringify(want, null, 2)}\n`);
if (!run(process.execPath, [join(root, 'native', 'select-kernels.mjs')]))
  console.log('tessera: kernel selection failed; the addon runs with the BLAS defaults');
