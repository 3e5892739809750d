// One check for every image head (mask-color.test.ts, code-factors.test.ts): the code logits of N hidden
// rows equal `want` on every path that computes them (the training head for many rows, where the code
// embeddings are formed first, and for few; imageLogits), and the sampler's cached step with
// codeEmbeddings() gives the full forward's code logits on a real item.
import assert from 'node:assert/strict';
import { makeWorldItem } from '../../src/data/index.js';
import type { MultimodalModel, Tokenizers } from '../../src/model/index.js';
import { noGrad, Rng, Tensor } from '../../src/tensor/index.js';
import { makeBatch } from '../../src/train/batch.js';

export function assertCodeLogitPaths(m: MultimodalModel, tok: Tokenizers, h: Tensor, want: Float32Array): void {
  const C = m.config.nEmbd;
  const N = h.size / C;
  const outs = m.codeCount;
  const close = (got: Float32Array, rows: number, what: string) => {
    for (let i = 0; i < rows * outs; i++)
      assert.ok(
        Math.abs(got[i] - want[i]) < 1e-3 * Math.max(1, Math.abs(want[i])),
        `${what}: ${got[i]} vs ${want[i]} at ${i}`,
      );
  };
  noGrad(() => {
    close(m.imageLogitsMany(h).data, N, 'training head, many rows');
    const few = new Tensor(h.data.slice(0, 3 * C), [3, C]);
    close(m.imageLogitsMany(few).data, 3, 'training head, few rows');
    close(m.imageLogits(few).data, 3, 'imageLogits');
    const b = makeBatch([makeWorldItem('t2i', 'train', 1, 0)], tok, m.config.blockSize, 0, new Rng(1));
    const full = m.forward(b.ids, b.pos2d, 1, b.T).data;
    const step = m.forwardCached(b.ids, b.pos2d, 1, b.T, m.newCache(1), {
      imageOnly: true,
      codeEmbed: m.codeEmbeddings(),
    });
    const V = m.vocabSize;
    const Vt = m.config.textVocabSize;
    for (let t = 0; t < b.T; t++)
      for (let k = 0; k < outs; k++) {
        const a = full[t * V + Vt + k];
        const c = step.data[t * outs + k];
        assert.ok(Math.abs(a - c) < 1e-3 * Math.max(1, Math.abs(a)), `token ${t} code ${k}: ${c} vs ${a}`);
      }
  });
}
