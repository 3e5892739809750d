// The in-browser model: fetches a model folder's files over HTTP, builds the model with the one loader
// (modelFromFiles: every size, CRC and limit check of loadModel) on the TypeScript kernels, and draws
// images with generateImages, the same sampler the server and the CLI use. Runs in a Web Worker
// (worker.ts) so the page stays responsive, or on the page itself.
import { type GenerateOptions, generateImages } from '../src/infer/generate.js';
import { IMAGE_TOKENIZER_DIR, IMAGE_TOKENIZER_FILE, MODEL_FILES, modelFromFiles } from '../src/model/checkpoint.js';
import { jsKernels, useKernels } from '../src/tensor/kernels/index.js';

/** The sampler's options the page can set (the same names and defaults as generateImages). */
export type LocalOptions = Pick<GenerateOptions, 'n' | 'guidance' | 'temperature' | 'topK' | 'topP' | 'seed'>;

export interface LoadedModel {
  generate(prompt: string, options: LocalOptions, onProgress?: (done: number, total: number) => void): Uint8Array[];
  /** The image side in pixels (64 for the shipped model). */
  readonly imageSize: number;
  /** Bytes fetched and milliseconds spent fetching and building. */
  readonly bytes: number;
  readonly loadMs: number;
}

/** Fetches one file of the model; null when the server has no such file (404: an optional file). */
async function fetchFile(base: string, name: string): Promise<Uint8Array | null> {
  const url = new URL(name, base).href;
  const r = await fetch(url);
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`fetching ${url}: HTTP ${r.status} ${r.statusText}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Fetches the model at `base` (a folder URL ending in "/") and builds it on the TypeScript kernels. */
export async function loadLocalModel(base: string): Promise<LoadedModel> {
  const start = performance.now();
  useKernels(jsKernels); // the browser has no native addon; the bundle does not even contain its loader
  const files = new Map<string, Uint8Array>();
  const fetchAll = async (names: readonly string[]) => {
    const got = await Promise.all(names.map((name) => fetchFile(base, name)));
    names.forEach((name, i) => {
      const bytes = got[i];
      if (bytes) files.set(name, bytes);
    });
  };
  // the patch dictionary's file only when there is no VQ-VAE folder (so a shipped model asks for no
  // file it lacks); the loader then says what is missing, if anything
  await fetchAll(MODEL_FILES.filter((name) => name !== IMAGE_TOKENIZER_FILE));
  if (!files.has(`${IMAGE_TOKENIZER_DIR}/config.json`)) await fetchAll([IMAGE_TOKENIZER_FILE]);
  const { model, tok } = modelFromFiles(files, base);
  return {
    imageSize: tok.image.imageSize,
    bytes: [...files.values()].reduce((a, b) => a + b.length, 0),
    loadMs: performance.now() - start,
    generate: (prompt, options, onProgress) =>
      generateImages(model, tok, prompt, {
        ...options,
        onProgress: (p) => {
          if (p.kind === 'image' && p.total !== null) onProgress?.(p.done, p.total);
        },
      }).map((image) => image.data),
  };
}
