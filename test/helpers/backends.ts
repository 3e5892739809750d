// The kernel backends available in this process, for tests that must pass on each of them.
import { jsKernels, type Kernels, loadNativeKernels } from '../../src/tensor/index.js';

export function backends(): { name: string; kernels: Kernels }[] {
  const list = [{ name: 'js', kernels: jsKernels }];
  const native = loadNativeKernels();
  if (native.kernels) list.push({ name: 'native', kernels: native.kernels });
  else if (process.env.TESSERA_BACKEND === 'native') throw new Error(`TESSERA_BACKEND=native but ${native.reason}`);
  else console.log(`# native backend not tested: ${native.reason}`);
  return list;
}
