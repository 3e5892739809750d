// Picks the kernel backend once: native when the addon loaded, TypeScript otherwise.
// TESSERA_BACKEND=js forces TypeScript; TESSERA_BACKEND=native fails loudly if the addon is unusable.
import { jsKernels } from './js.js';
import { loadNativeKernels } from './native.js';
import type { Kernels } from './types.js';

export { jsKernels } from './js.js';
export { loadNativeKernels } from './native.js';
export type { BackendInfo, Kernels } from './types.js';

let active: Kernels | null = null;
let why = '';

function choose(): Kernels {
  const wanted = process.env.TESSERA_BACKEND ?? 'auto';
  if (wanted === 'js') {
    why = 'TESSERA_BACKEND=js';
    return jsKernels;
  }
  const { kernels, reason } = loadNativeKernels();
  if (kernels) {
    why = reason;
    return kernels;
  }
  if (wanted === 'native') throw new Error(`TESSERA_BACKEND=native but ${reason}`);
  why = `fell back to TypeScript: ${reason}`;
  return jsKernels;
}

/** The kernels every op calls. */
export function kernels(): Kernels {
  if (active === null) active = choose();
  return active;
}

/** Why the active backend was chosen (for `tessera doctor`). */
export function backendReason(): string {
  kernels();
  return why;
}

/** Switch backends at run time (tests and benchmarks compare both in one process). */
export function useKernels(k: Kernels): void {
  active = k;
  why = 'set by useKernels';
}
