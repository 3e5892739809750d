// The native multimodal model: the one GPT transformer (gpt.ts, reused, not copied) over the shared
// text + image vocabulary (layout in config.ts), with 2-D position information for image tokens: a learned
// row embedding and a learned column embedding added to each image token, on top of the 1-D positions.
// Row/column index 0 means "not an image token" (initialised to zero, then learned like any bias).
import { add, embedding, type KVCache, type Tensor } from '../tensor/index.js';
import type { ModelConfig } from './config.js';
import { GPT } from './gpt.js';

export const MODEL_KIND = 'tessera-multimodal';

export class MultimodalModel {
  readonly gpt: GPT;

  constructor(readonly config: Readonly<ModelConfig>) {
    const { textVocabSize, imageCodebookSize, blockSize, nLayer, nHead, nEmbd, mlpHidden, seed, imageGrid } = config;
    const vocabSize = textVocabSize + imageCodebookSize;
    this.gpt = new GPT({ vocabSize, blockSize, nLayer, nHead, nEmbd, mlpHidden, seed });
    // (grid + 1, C): index 0 = "not an image token", 1..grid = image row (column).
    this.gpt.params.add('img.row', [imageGrid + 1, nEmbd], { kind: 'normal', std: 0.02 });
    this.gpt.params.add('img.col', [imageGrid + 1, nEmbd], { kind: 'normal', std: 0.02 });
    this.gpt.params.get('img.row').data.fill(0, 0, nEmbd);
    this.gpt.params.get('img.col').data.fill(0, 0, nEmbd);
  }

  get params() {
    return this.gpt.params;
  }

  get vocabSize(): number {
    return this.config.textVocabSize + this.config.imageCodebookSize;
  }

  /** Shared-vocabulary id of image code k. */
  imageId(k: number): number {
    return this.config.textVocabSize + k;
  }

  /** (B, T, C) 2-D position embedding: pos2d holds r * grid + c for image tokens, -1 for other tokens. */
  private pos2dEmbedding(pos2d: Int32Array, B: number, T: number): Tensor {
    const g = this.config.imageGrid;
    const rows = new Int32Array(pos2d.length);
    const cols = new Int32Array(pos2d.length);
    for (let i = 0; i < pos2d.length; i++) {
      const p = pos2d[i];
      if (p < 0) continue; // index 0: the zero "no image position" row
      if (p >= g * g) throw new Error(`MultimodalModel: 2-D position ${p} at token ${i} is outside the ${g}x${g} grid`);
      rows[i] = 1 + Math.floor(p / g);
      cols[i] = 1 + (p % g);
    }
    const r = embedding(this.params.get('img.row'), rows, [B, T]); // (B, T, C)
    const c = embedding(this.params.get('img.col'), cols, [B, T]); // (B, T, C)
    return add(r, c);
  }

  /** Logits (B, T, V). ids and pos2d are B*T values, row-major; right padding needs no key mask. */
  forward(ids: Int32Array, pos2d: Int32Array, B: number, T: number): Tensor {
    if (pos2d.length !== ids.length)
      throw new Error(`MultimodalModel.forward: ${ids.length} ids vs ${pos2d.length} pos2d`);
    return this.gpt.forward(ids, B, T, null, this.pos2dEmbedding(pos2d, B, T));
  }

  newCache(B = 1, Tmax = this.config.blockSize): KVCache[] {
    return this.gpt.newCache(B, Tmax);
  }

  /** Logits (B, Tq, V) for Tq new tokens after what the caches hold (inference; call under noGrad). */
  forwardCached(ids: Int32Array, pos2d: Int32Array, B: number, Tq: number, caches: KVCache[]): Tensor {
    return this.gpt.forwardCached(ids, B, Tq, caches, null, this.pos2dEmbedding(pos2d, B, Tq));
  }
}
