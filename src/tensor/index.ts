// The tensor engine's public face: tensors and autograd, ops, parameters, optimiser, RNG, weights on disk.

export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointContents,
  CheckpointError,
  checkpointFiles,
  loadCheckpoint,
  READABLE_CHECKPOINT_VERSIONS,
  readCheckpointHeader,
  removeStaleCheckpointTemps,
  saveCheckpoint,
} from './checkpoint.js';
export { crc32 } from './crc32.js';
export { type FileSource, folderFiles, memoryFiles, readText } from './files.js';
export { type FolderLock, FolderLockedError, LOCK_FILE, lockFolder } from './folder-lock.js';
export {
  type BackendInfo,
  backendReason,
  jsKernels,
  type Kernels,
  kernels,
  loadNativeKernels,
  useKernels,
} from './kernels/index.js';
export { causalAttention, KVCache } from './ops/attention.js';
export {
  add,
  concat,
  detach,
  mean,
  mse,
  mul,
  permute,
  reshape,
  rowOuter,
  scale,
  slice,
  sub,
  sum,
} from './ops/basic.js';
export { type ConvOptions, conv2d, convTranspose2d } from './ops/conv.js';
export { embedding, gelu, layerNorm, relu, rmsNorm, silu } from './ops/layers.js';
export { linear, matmul } from './ops/linalg.js';
export { type CrossEntropyOptions, crossEntropy } from './ops/loss.js';
export { nearestCode, straightThrough } from './ops/quantize.js';
export { AdamW, type AdamWConfig, clipGradNorm, cosineLr, defaultAdamW } from './optim.js';
export { type Init, Params } from './params.js';
export { packageRoot } from './paths.js';
export { Rng } from './rng.js';
export {
  type ChecksumKind,
  CRC_KEY,
  FILE_ORDER_CRC_KEY,
  type NamedTensor,
  parseSafetensors,
  readSafetensors,
  readSafetensorsFrom,
  type Safetensors,
  tensorsCrc32,
  writeFileAtomic,
  writeSafetensors,
} from './safetensors.js';
export {
  clearPool,
  clearTape,
  isGradEnabled,
  noGrad,
  poolStats,
  type Shape,
  sizeOf,
  Tensor,
  tapeLength,
  tidy,
} from './tensor.js';
