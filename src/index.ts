// tessera's public entry (`import { ... } from 'tessera'`): each group is one part's face, listed here so
// this file is the map of what the package offers.
//
// - model:      loadModel, saveModel, MultimodalModel, configs, defaultModelDir (the shipped model)
// - infer:      generateImages, editImage, Session / SessionStore (multi-turn, undo, branch), plans
// - data:       the scene world, PNG reading/writing at the image boundary, task items, emoji, manifests
// - tokenizers: the text (byte-level BPE) and image (VQ-VAE) tokenizers
// - train:      runTraining, train configs, the task mixture
// - eval:       evaluate, the dialogue evaluation
// - tensor:     the tensor engine (Tensor, ops, AdamW, safetensors, checkpoints, Rng)
// - serve:      startServer / listen (the HTTP API and studio), openStore
// - api:        Tessera (fromPretrained, generate, edit, ask, session, info), loadTessera, toPng: the
//               high-level calls on one loaded model, each delegating to the functions above (docs/api.md)

export {
  type ImageInput,
  loadTessera,
  type SayInput,
  Tessera,
  type TesseraInfo,
  TesseraSession,
  toPng,
} from './api.js';
export type { Shape as SceneShape } from './data/index.js';
export * from './data/index.js';
// two names two parts use for different things: the explicit exports decide
export type { Metrics, Metrics as EvalMetrics } from './eval/index.js';
export * from './eval/index.js';
export * from './infer/index.js';
export * from './model/index.js';
export { listen, type Server, type ServerOptions, startServer } from './serve/server.js';
export { openStore, type Store } from './serve/store/index.js';
export type { Shape } from './tensor/index.js';
export * from './tensor/index.js';
export * from './tokenizers/index.js';
export type { Metrics as TrainMetrics } from './train/index.js';
export * from './train/index.js';
