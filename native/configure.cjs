// Picks the BLAS the addon is built against, for binding.gyp (`node native/configure.cjs <what>`).
//   TESSERA_NATIVE_BLAS=auto (default) | openblas | blis | none
// auto: OpenBLAS when its headers and library are installed (Debian: libopenblas-dev), else BLIS (Debian:
// libblis-serial-dev), else none: the compiler-only build, with our own gemm (native/gemm.cc). macOS always
// uses Accelerate. Prints one value: `blas` -> the choice; `blis-include` / `blis-lib` -> BLIS's folders.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const multiarch = ['x86_64-linux-gnu', 'aarch64-linux-gnu', 'arm-linux-gnueabihf'];
const incRoots = ['/usr/include', '/usr/local/include', ...multiarch.map((m) => `/usr/include/${m}`)];
const libRoots = ['/usr/lib', '/usr/local/lib', ...multiarch.map((m) => `/usr/lib/${m}`)];
const has = (dirs, file) => dirs.some((d) => fs.existsSync(path.join(d, file)));

function blisDir(roots) {
  for (const root of roots)
    for (const flavour of ['blis-serial', 'blis-pthread', 'blis-openmp']) {
      const d = path.join(root, flavour);
      if (fs.existsSync(path.join(d, 'blis.h')) || fs.existsSync(path.join(d, 'libblis.so'))) return d;
    }
  return '';
}

function choose() {
  if (process.platform === 'darwin') return 'accelerate';
  const want = (process.env.TESSERA_NATIVE_BLAS || 'auto').toLowerCase();
  const openblas = has(incRoots, 'cblas.h') && has(libRoots, 'libopenblas.so');
  const blis = blisDir(incRoots) !== '' && blisDir(libRoots) !== '';
  if (want === 'none') return 'none';
  if (want === 'openblas' || want === 'blis') {
    if ((want === 'openblas' && !openblas) || (want === 'blis' && !blis)) {
      process.stderr.write(`tessera: TESSERA_NATIVE_BLAS=${want} but its headers or library are not installed\n`);
      process.exit(1);
    }
    return want;
  }
  if (want !== 'auto') {
    process.stderr.write(`tessera: TESSERA_NATIVE_BLAS must be auto, openblas, blis or none, got "${want}"\n`);
    process.exit(1);
  }
  return openblas ? 'openblas' : blis ? 'blis' : 'none';
}

const what = process.argv[2] || 'blas';
if (what === 'blas') process.stdout.write(choose());
else if (what === 'blis-include') process.stdout.write(blisDir(incRoots) || '/nonexistent');
else if (what === 'blis-lib') process.stdout.write(blisDir(libRoots) || '/nonexistent');
else {
  process.stderr.write(`configure.cjs: unknown query "${what}"\n`);
  process.exit(1);
}
