#!/usr/bin/env node
// Builds the web studio's bundles: web/studio.ts (the page tessera serve shows at /), web/local.ts (the
// in-browser page) and web/worker.ts (the model, on the TypeScript kernels) into dist/web/ with esbuild
// (esm, browser, minified, with source maps), plus local.html (studio.html is served from web/). The native kernels' loader is replaced by web/shims/native-kernels.ts, and each Node built-in the
// import graph touches by a module whose functions throw if called (web/shims/node-builtin.mjs); tessera's
// own modules are marked free of side effects so what the browser path does not use is left out.
//   node web/build.mjs        (npm run build:web; npm run build runs it after tsc)
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { shimSource } from './shims/node-builtin.mjs';

const web = dirname(fileURLToPath(import.meta.url));
const root = join(web, '..');
const out = join(root, 'dist', 'web');
const src = join(root, 'src');

/** The plugin: the native loader swapped, Node built-ins shimmed, tessera's modules side-effect free. */
const browserPlugin = {
  name: 'tessera-browser',
  setup(build) {
    build.onResolve({ filter: /(^|\/)native\.js$/ }, (args) =>
      args.importer.startsWith(join(src, 'tensor', 'kernels'))
        ? { path: join(web, 'shims', 'native-kernels.ts'), sideEffects: false }
        : undefined,
    );
    const builtins = new Set(builtinModules);
    build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!builtins.has(name)) return undefined;
      return { path: name, namespace: 'node-shim', sideEffects: false };
    });
    build.onLoad({ filter: /.*/, namespace: 'node-shim' }, async (args) => {
      const names = Object.keys(await import(`node:${args.path}`));
      return {
        contents: shimSource(`node:${args.path}`, names, join(web, 'shims', 'node-builtin.mjs')),
        loader: 'js',
        resolveDir: web,
      };
    });
    build.onResolve({ filter: /\.js$/ }, async (args) => {
      if (!args.importer.startsWith(src) || !args.path.startsWith('.')) return undefined;
      const ts = join(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      return { path: ts, sideEffects: false };
    });
  },
};

const result = await esbuild.build({
  entryPoints: { local: join(web, 'local.ts'), studio: join(web, 'studio.ts'), worker: join(web, 'worker.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox111', 'safari16.4'],
  minify: true,
  sourcemap: true,
  metafile: true,
  legalComments: 'linked',
  define: { 'process.env.TESSERA_BACKEND': '"js"' },
  plugins: [browserPlugin],
  logLevel: 'warning',
});
mkdirSync(out, { recursive: true });
copyFileSync(join(web, 'local.html'), join(out, 'local.html'));

for (const [file, o] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.map')) continue;
  const size = statSync(join(root, file)).size;
  console.log(`build:web: ${relative(root, join(root, file))} ${(size / 1024).toFixed(1)} KiB (${o.bytes} bytes)`);
}
