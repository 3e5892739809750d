// Training from a token cache: a dataset tokenized once (ids + the produced-token mask of the one sequence
// builder) to a checked binary file (src/data/token-cache.ts), then streamed into training in seeded,
// epoch-shuffled order with a resumable cursor. 2-D positions are derived from the ids (the grid*grid
// codes after each <|image|>), so the file holds nothing the builder did not decide. Condition dropout is
// applied when the cache is written (each image-producing item drops its text with the configured rate).
import type { TaskItem } from '../data/index.js';
import { TokenCacheReader, TokenCacheWriter } from '../data/token-cache.js';
import { specialIds, type Tokenizers } from '../model/index.js';
import { Rng } from '../tensor/index.js';
import { codesPerImage } from '../tokenizers/index.js';
import { trainingSequence } from './batch.js';

/** What the batch packer needs of a sequence. */
export interface TokenSequence {
  ids: Int32Array;
  produced: Uint8Array;
  pos2d: Int32Array;
}

/** Tokenizes items once into a cache file (atomic write). */
export function writeTaskCache(
  path: string,
  items: Iterable<TaskItem>,
  tok: Tokenizers,
  condDropout: number,
  seed: number,
) {
  const w = new TokenCacheWriter(path, tok.text.vocabSize + tok.image.codebookSize);
  const rng = new Rng(seed);
  for (const it of items) {
    const s = trainingSequence(it, tok, condDropout, rng);
    w.append(s.ids, s.produced);
  }
  return w.finish();
}

/** 2-D positions of a token sequence: 0..codesPerImage-1 for the codes after each <|image|>, -1 elsewhere. */
export function positions2d(ids: Int32Array, tok: Tokenizers): Int32Array {
  const sp = specialIds(tok);
  const g2 = codesPerImage(tok.image);
  const pos = new Int32Array(ids.length).fill(-1);
  let p = -1;
  for (let i = 0; i < ids.length; i++) {
    if (p >= 0 && p < g2 && ids[i] >= sp.imageBase) pos[i] = p++;
    else p = -1;
    if (ids[i] === sp.image) p = 0;
  }
  return pos;
}

export interface CacheCursor {
  epoch: number;
  index: number;
}

/** Sequences of a cache in seeded, epoch-shuffled order; the cursor round-trips for exact resume. */
export class CacheSource {
  readonly reader: TokenCacheReader;
  private order: Int32Array;
  cursor: CacheCursor = { epoch: 0, index: 0 };

  constructor(
    readonly path: string,
    private readonly tok: Tokenizers,
    private readonly seed: number,
  ) {
    this.reader = TokenCacheReader.open(path);
    if (!this.reader.hasMask) throw new Error(`${path}: the cache has no loss mask; write it with writeTaskCache`);
    if (this.reader.length === 0) throw new Error(`${path}: the cache holds no sequences`);
    const V = tok.text.vocabSize + tok.image.codebookSize;
    for (let i = 0; i < this.reader.length; i++) {
      const bad = this.reader.get(i).ids.find((id) => id >= V);
      if (bad !== undefined)
        throw new Error(
          `${path}: sequence ${i} holds id ${bad} but the model's vocabulary has ${V}; HINT: rebuild the cache with this run's tokenizers`,
        );
    }
    this.order = this.reader.order(seed, 0);
  }

  setCursor(c: CacheCursor): void {
    this.cursor = { ...c };
    this.order = this.reader.order(this.seed, c.epoch);
  }

  next(): TokenSequence {
    if (this.cursor.index >= this.order.length) this.setCursor({ epoch: this.cursor.epoch + 1, index: 0 });
    const { ids, mask } = this.reader.get(this.order[this.cursor.index++]);
    return { ids, produced: mask!, pos2d: positions2d(ids, this.tok) };
  }
}
