// The messages between the server's main thread (host.ts) and the model worker (worker.ts). Images cross as
// PNG bytes (what is stored and served) plus the raw RGB (what the next step computes on), never as files.
import type { Progress, SessionJson, TurnOptions } from '../infer/index.js';

export interface ModelInfo {
  id: string;
  dir: string;
  imageSize: number;
  grid: number;
  codebookSize: number;
  /** Codes a patch (2 for a two-code model). */
  codesPerPatch: number;
  blockSize: number;
  parameters: number;
  /** Bytes of one live session's KV cache. */
  cacheBytes: number;
}

export interface WorkerInit {
  models: { id: string; dir: string }[];
  maxLiveSessions: number;
  maxCacheBytes: number;
}

interface Sampling {
  model: string;
  n: number;
  seed: number;
  temperature: number;
  guidance: number;
  /** Partial images to stream per variant while drawing (0 = none). */
  partials: number;
}

export type Job =
  | (Sampling & { kind: 'generate'; prompt: string; topK: number; topP: number; candidates: number })
  | (Sampling & { kind: 'edit'; prompt: string; image: Uint8Array; imageGuidance: number })
  | {
      kind: 'turn';
      model: string;
      session: SessionJson;
      input: { text?: string; image?: Uint8Array };
      options: Omit<TurnOptions, 'onProgress'>;
      /** Keep the session live (its KV cache) for the next turn; false for one-off questions. */
      keep: boolean;
    };

export interface DrawnImage {
  png: Uint8Array;
  rgb: Uint8Array;
}

export type JobResult =
  | { kind: 'images'; images: DrawnImage[] }
  | {
      kind: 'turn';
      turn: {
        id: number;
        parent: number | null;
        output: ({ kind: 'text'; text: string } | (DrawnImage & { kind: 'image'; codes?: number[] }))[];
      };
      cache: { reused: number; fed: number };
    };

export type WorkerMessage =
  | { type: 'ready'; models: ModelInfo[] }
  | { type: 'failed'; message: string }
  | { id: number; type: 'progress'; progress: Progress; partial?: { index: number; png: Uint8Array } }
  | { id: number; type: 'done'; result: JobResult; ms: number; liveSessions: number; evictions: number }
  | { id: number; type: 'error'; kind: 'timeout' | 'input' | 'internal'; message: string; ms: number };
