// Loads the C++ kernels (native/tessera.cc, built by node-gyp into build/Release). The addon exports one
// function per `Kernels` member with the same name and argument order, plus info() and peakGflops().
// Returns null (with the reason) when the addon is missing or incomplete, so the engine can fall back to
// the TypeScript kernels.
//
// Before the addon (and the BLAS it links) loads, the kernel choice that native/select-kernels.mjs
// verified and measured for this machine (kernels.json next to the addon) is applied as environment
// variables (OPENBLAS_CORETYPE, TESSERA_GEMM), unless the user set them. TESSERA_NATIVE_PATH loads another
// build of the addon (tests and benches compare the OpenBLAS, BLIS and compiler-only builds).

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { packageRoot } from '../paths.js';
import { jsKernels } from './js.js';
import type { Kernels } from './types.js';

/** What native/select-kernels.mjs wrote: the verified choice and every candidate it measured. */
export interface KernelSelection {
  version: number;
  cpuFeatures: string[];
  detected: string;
  build: string;
  chosen: Record<string, string>;
  reason: string;
  tried: { label: string; ok: boolean; gflops?: number; gemm?: string; error?: string }[];
  peakGflops?: number;
}

/** The addon's path: TESSERA_NATIVE_PATH, or the build folder. */
export function nativeAddonPath(): string {
  const override = process.env.TESSERA_NATIVE_PATH;
  return override ? resolve(override) : join(packageRoot(), 'build', 'Release', 'tessera_native.node');
}

/** The kernel selection for the addon at `path`, or null when none was made (or it is unreadable). */
export function readKernelSelection(path = nativeAddonPath()): KernelSelection | null {
  const file = join(dirname(path), 'kernels.json');
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as KernelSelection;
    return s.version === 1 && typeof s.chosen === 'object' && s.chosen !== null ? s : null;
  } catch {
    return null;
  }
}

/** How to (re)build the addon: in the repository, or where tessera is an installed dependency. */
function rebuildCommand(): string {
  return packageRoot().split(sep).includes('node_modules') ? 'npm rebuild tessera' : 'npm run build:native';
}

const KNOBS = ['OPENBLAS_CORETYPE', 'TESSERA_GEMM'];

/** Sets the selected knobs the user has not set; returns a description of what was applied. */
function applySelection(sel: KernelSelection | null): string {
  if (!sel) return `no kernel selection (run ${rebuildCommand()})`;
  const applied: string[] = [];
  for (const [k, v] of Object.entries(sel.chosen)) {
    if (!KNOBS.includes(k) || typeof v !== 'string') continue;
    if (process.env[k] !== undefined) applied.push(`${k}=${process.env[k]} (set by you; selection said ${v})`);
    else {
      process.env[k] = v;
      applied.push(`${k}=${v}`);
    }
  }
  return applied.length > 0 ? `kernels: ${applied.join(', ')}` : 'kernels: the build defaults (nothing to override)';
}

let addon: Record<string, unknown> | null = null;
let loadReason = '';

export function loadNativeKernels(): { kernels: Kernels | null; reason: string } {
  const path = nativeAddonPath();
  if (addon === null) {
    if (!existsSync(path))
      return { kernels: null, reason: `native addon not built (${path} missing; run ${rebuildCommand()})` };
    const applied = applySelection(readKernelSelection(path));
    try {
      addon = createRequire(import.meta.url)(path) as Record<string, unknown>;
    } catch (e) {
      return { kernels: null, reason: `native addon failed to load: ${(e as Error).message}` };
    }
    loadReason = `loaded ${path}; ${applied}`;
  }
  const missing = Object.keys(jsKernels).filter((k) => typeof addon?.[k] !== 'function');
  if (missing.length > 0) return { kernels: null, reason: `native addon lacks kernels: ${missing.join(', ')}` };
  return { kernels: addon as unknown as Kernels, reason: loadReason };
}

/** The measured FMA peak of all native threads at once, in GFLOPS (null without the addon). */
export function nativePeakGflops(seconds = 0.3): number | null {
  const { kernels } = loadNativeKernels();
  if (!kernels) return null;
  const fn = (kernels as unknown as { peakGflops?: (s: number) => number }).peakGflops;
  return typeof fn === 'function' ? fn(seconds) : null;
}
