// Stands in for src/tensor/kernels/native.ts in the browser bundle (web/build.mjs aliases it): a web page
// cannot load a Node addon, so the backend selection (src/tensor/kernels/index.ts) finds no native kernels
// and resolves to the TypeScript ones, and node:module / createRequire never enter the bundle.
import type { Kernels } from '../../src/tensor/kernels/types.js';

const REASON = 'in a web browser: no native addon (the TypeScript kernels run)';

export function loadNativeKernels(): { kernels: Kernels | null; reason: string } {
  return { kernels: null, reason: REASON };
}

export function nativePeakGflops(): number | null {
  return null;
}
