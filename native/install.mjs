// The npm install step (package.json "install"): builds the native addon once, then picks its kernels.
//
// - Rebuilds only when the addon is missing or its inputs changed (the C++ sources, binding.gyp, the BLAS
//   choice, Node's ABI): a stamp next to the addon records them. `npm run build:native` (or
//   TESSERA_REBUILD=1) always rebuilds.
// - Never builds under `npx tessera` (npm_command=exec): npx links the project into its cache and runs this
//   step in the project's folder, which would replace the addon under running processes. It says so instead.
// - Then runs native/select-kernels.mjs, which measures and verifies the matrix-product choices and writes
//   build/Release/kernels.json (read when the addon loads; `tessera doctor` prints it).
// - A failed build is not an error: the TypeScript kernels take over, and the reason is printed in one
//   line. No C++ compiler (CXX, or g++ / c++ / clang++ on the PATH) or no node-gyp: it does not try.
// - Installed as a dependency (the package sits in a node_modules folder), the compiler's output goes to
//   build/native-build.log instead of the terminal, and the hints say `npm rebuild tessera`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const addon = join(root, 'build', 'Release', 'tessera_native.node');
const stampFile = join(root, 'build', 'Release', 'build-stamp.json');
const asDependency = root.split(sep).includes('node_modules');
const rebuild = asDependency ? 'npm rebuild tessera' : 'npm run build:native';
const fallback = 'the TypeScript kernels will be used';

function run(cmd, args, env = process.env) {
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status === 0;
}

/** The first C++ compiler that answers --version: CXX when set (it may carry arguments), else the usual names. */
function findCompiler() {
  const names = process.env.CXX ? [process.env.CXX] : ['g++', 'c++', 'clang++'];
  for (const name of names) {
    const [cmd, ...args] = name.trim().split(/\s+/);
    if (cmd && spawnSync(cmd, [...args, '--version'], { stdio: 'ignore' }).status === 0) return name;
  }
  return null;
}

/** node-gyp as npm passes it to scripts (npm_config_node_gyp), else the one on the PATH. */
function nodeGyp() {
  const bundled = process.env.npm_config_node_gyp;
  if (bundled && existsSync(bundled)) return [process.execPath, bundled];
  return spawnSync('node-gyp', ['--version'], { stdio: 'ignore' }).status === 0 ? ['node-gyp'] : null;
}

/** Runs node-gyp rebuild: output to the terminal in the repository, to build/native-build.log as a dependency. */
function buildAddon(gyp) {
  if (!asDependency) return run(gyp[0], [...gyp.slice(1), 'rebuild']);
  mkdirSync(join(root, 'build'), { recursive: true });
  const log = join(root, 'build', 'native-build.log');
  const fd = openSync(log, 'w');
  const ok = spawnSync(gyp[0], [...gyp.slice(1), 'rebuild'], { cwd: root, stdio: ['ignore', fd, fd] }).status === 0;
  closeSync(fd);
  if (!ok) console.log(`tessera: the compiler's output is in ${log}`);
  return ok;
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
    console.log(`tessera: the native addon is missing or out of date; ${rebuild} builds it (npx never does)`);
  process.exit(0);
}
const force = process.argv.includes('--force') || process.env.TESSERA_REBUILD === '1';
if (!force && upToDate(want)) {
  console.log(`tessera: native addon up to date (${want.blas}); ${rebuild} rebuilds it`);
  process.exit(0);
}
const compiler = findCompiler();
if (!compiler) {
  console.log(
    `tessera: no C++ compiler (${process.env.CXX ? `CXX=${process.env.CXX}` : 'g++, c++, clang++'}) found; ${fallback} (install one, then ${rebuild})`,
  );
  process.exit(0);
}
// node-gyp comes with npm: npm passes its path to every script it runs
const gyp = nodeGyp();
if (!gyp) {
  console.log(`tessera: node-gyp not found; ${fallback} (install node-gyp, then ${rebuild})`);
  process.exit(0);
}
console.log(`tessera: building the native addon (${compiler}, BLAS: ${want.blas})`);
if (!buildAddon(gyp)) {
  console.log(`tessera: native build failed; ${fallback} (fix the cause, then ${rebuild})`);
  process.exit(0);
}
writeFileSync(stampFile, `${JSON.stringify(want, null, 2)}\n`);
if (!run(process.execPath, [join(root, 'native', 'select-kernels.mjs')]))
  console.log('tessera: kernel selection failed; the addon runs with the BLAS defaults');
