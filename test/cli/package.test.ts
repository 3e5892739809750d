// The package as a user gets it: `npm pack` of the built repository (what the tarball holds and leaves out,
// and its size), installed offline into a fresh project without running its install script (so no addon:
// the TypeScript kernels must take over), then the examples/ of docs/api.md type-checked there against the
// installed package's types (strict, NodeNext) and run with node, checking what each one writes. Also: the
// `tessera` bin, and the install script's one-line fallback when there is no C++ compiler.
// Needs the build (dist/); the dependencies come from npm's cache (the repository's lockfile versions).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodePng } from '../../src/data/index.js';
import { Session } from '../../src/infer/index.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tessera-pack-'));
const project = join(work, 'project');
after(() => rmSync(work, { recursive: true, force: true }));

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}
let packed: PackResult;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} in ${cwd} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A lockfile for a project depending only on the tarball: tessera's dependencies at the versions of the
 *  repository's lockfile (already in npm's cache), so `npm ci --offline` needs no registry. */
function projectLock(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8'));
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const packages: Record<string, unknown> = {
    '': { name: 'tessera-user', version: '1.0.0', dependencies: { tessera: `file:${tarball}` } },
    'node_modules/tessera': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
      hasInstallScript: true,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean }>))
    if (path !== '' && !entry.dev) packages[path] = entry;
  return { name: 'tessera-user', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

before(() => {
  assert.ok(existsSync(join(repo, 'dist', 'src', 'api.js')), 'dist/src/api.js missing: build first (npm run build)');
  const r = sh('npm', ['pack', '--json', '--pack-destination', work], repo);
  packed = (JSON.parse(r.stdout) as PackResult[])[0];
  mkdirSync(project);
  const tarball = join(work, packed.filename);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'tessera-user',
      version: '1.0.0',
      private: true,
      type: 'module',
      dependencies: { tessera: `file:${tarball}` },
    }),
  );
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(projectLock(tarball)));
  sh('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project);
});

test('the tarball holds the built package, the models and the native sources, and nothing of development', (t) => {
  const files = new Set(packed.files.map((f) => f.path));
  t.diagnostic(
    `tarball: ${files.size} files, ${(packed.size / 1e6).toFixed(1)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(1)} MB unpacked`,
  );
  for (const f of [
    'package.json',
    'README.md',
    'binding.gyp',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/src/api.js',
    'dist/src/cli/index.js',
    'models/tessera-default/weights.safetensors',
    'models/image-tokenizer/weights.safetensors',
    'native/install.mjs',
    'native/select-kernels.mjs',
    'native/configure.cjs',
    'native/tessera.cc',
    'web/studio.html',
  ])
    assert.ok(files.has(f), `${f} is not in the tarball`);
  if (existsSync(join(repo, 'dist', 'web')))
    assert.ok(files.has('dist/web/studio.js'), 'dist/web/ is not in the tarball');
  else t.diagnostic('dist/web/ is not built (npm run build:web), so the tarball has no studio bundle');
  const unwanted = /^(dist\/test|dist\/bench|test|bench|runs|build-variants|build|src|examples|docs)\/|\.map$/;
  assert.deepEqual(
    [...files].filter((f) => unwanted.test(f)),
    [],
  );
});

test('the examples type-check against the installed package (strict, NodeNext)', () => {
  const src = join(project, 'src');
  mkdirSync(src);
  for (const f of readdirSync(join(repo, 'examples')).filter((f) => f.endsWith('.ts')))
    copyFileSync(join(repo, 'examples', f), join(src, f));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        rootDir: 'src',
        outDir: 'out',
        types: ['node'],
        typeRoots: [join(repo, 'node_modules', '@types')],
      },
      include: ['src'],
    }),
  );
  sh(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
});

/** Runs a compiled example in the project; returns its stdout lines. */
function example(name: string): string[] {
  const env = { ...process.env };
  delete env.TESSERA_BACKEND;
  delete env.TESSERA_NATIVE_PATH;
  return sh(process.execPath, [join('out', `${name}.js`), 'made'], project, env)
    .stdout.trim()
    .split('\n');
}

const images = (lines: string[]) => lines.filter((l) => l.startsWith('image: ')).map((l) => l.slice(7));
const read = (file: string) => decodePng(readFileSync(join(project, file)), file);

test('generate.ts writes two decodable PNGs and says which backend ran', (t) => {
  const lines = example('generate');
  const files = images(lines);
  assert.equal(files.length, 2, lines.join('\n'));
  for (const f of files) assert.equal(read(f).width, 256); // 64 x 64, scaled 4x
  const backend = lines.find((l) => l.startsWith('backend: '));
  // installed with --ignore-scripts: no addon was built, so the TypeScript kernels ran
  assert.match(backend ?? '', /^backend: js \(fell back to TypeScript: native addon not built .*npm rebuild tessera/);
  t.diagnostic(backend!);
});

test('edit.ts writes the edited image at the model size', () => {
  const files = images(example('edit'));
  assert.equal(files.length, 1);
  const img = read(files[0]);
  assert.deepEqual([img.width, img.height], [64, 64]);
});

test('ask.ts prints an answer', (t) => {
  const lines = example('ask');
  const answer = lines.find((l) => l.startsWith('answer: '));
  assert.match(answer ?? '', /^answer: \S/, lines.join('\n'));
  t.diagnostic(answer!);
});

test('session.ts: three turns, two on the current line after undo and branch, a file that restores', () => {
  const lines = example('session');
  assert.ok(lines.includes('turns on the current line: 2'), lines.join('\n'));
  assert.ok(lines.includes('turns in the session file: 3'), lines.join('\n'));
  for (const f of images(lines)) assert.equal(read(f).width, 64);
  const s = Session.fromJSON(JSON.parse(readFileSync(join(project, 'made', 'session.json'), 'utf8')));
  assert.equal(s.allTurns.length, 3);
  assert.equal(s.path().length, 2);
});

test('the installed bin answers --version', () => {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const r = sh(join(project, 'node_modules', '.bin', 'tessera'), ['--version'], project);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('the install script without a C++ compiler: one line, exit 0, nothing built', () => {
  const dir = join(project, 'node_modules', 'tessera');
  const env = { ...process.env, CXX: join(work, 'no-such-compiler') };
  const r = sh(process.execPath, [join(dir, 'native', 'install.mjs')], dir, env);
  assert.match(
    r.stdout,
    /^tessera: no C\+\+ compiler \(CXX=.*no-such-compiler\) found; the TypeScript kernels will be used \(install one, then npm rebuild tessera\)\n$/,
  );
  assert.ok(!existsSync(join(dir, 'build', 'Release', 'tessera_native.node')));
});
