// Loads the C++ kernels (native/tessera.cc, built by node-gyp into build/Release). The addon exports one
// function per `Kernels` member with the same name and argument order, plus info(). Returns null (with the
// reason) when the addon is missing or incomplete, so the engine can fall back to the TypeScript kernels.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { jsKernels } from './js.js';
import type { Kernels } from './types.js';

export function loadNativeKernels(): { kernels: Kernels | null; reason: string } {
  const path = join(packageRoot(), 'build', 'Release', 'tessera_native.node');
  if (!existsSync(path))
    return { kernels: null, reason: `native addon not built (${path} missing; run npm run build:native)` };
  let addon: Record<string, unknown>;
  try {
    addon = createRequire(import.meta.url)(path) as Record<string, unknown>;
  } catch (e) {
    return { kernels: null, reason: `native addon failed to load: ${(e as Error).message}` };
  }
  const missing = Object.keys(jsKernels).filter((k) => typeof addon[k] !== 'function');
  if (missing.length > 0) return { kernels: null, reason: `native addon lacks kernels: ${missing.join(', ')}` };
  return { kernels: addon as unknown as Kernels, reason: 'loaded ' + path };
}
