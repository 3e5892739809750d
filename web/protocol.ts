// The messages between the page (local.ts) and the model's Web Worker (worker.ts).
import type { LocalOptions } from './engine.js';

export type ToWorker = { type: 'load'; base: string } | { type: 'generate'; prompt: string; options: LocalOptions };

export type FromWorker =
  | { type: 'loaded'; imageSize: number; bytes: number; ms: number }
  | { type: 'progress'; done: number; total: number }
  | { type: 'images'; images: Uint8Array[]; ms: number }
  | { type: 'error'; message: string };
