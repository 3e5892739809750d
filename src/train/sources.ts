// Where a training run's batches come from: one interface (next, state, restore) over the three sources,
// so the trainer has one step and one resume path whatever feeds it.
//   - MixtureBatches: batchSize items drawn from the task mixture (condition dropout on the drop RNG)
//   - BucketBatcher (buckets.ts): length-bucketed batches under a token budget, from the same mixture
//   - CacheBatches: batchSize sequences streamed from a token cache file (CacheSource)
// The mixture and the drop RNG are the trainer's (saved with it); a source saves only what is its own.
import type { Tokenizers } from '../model/index.js';
import type { Rng } from '../tensor/index.js';
import { type Batch, makeBatch, packBatch } from './batch.js';
import type { BucketBatcher, BucketState } from './buckets.js';
import { type CacheCursor, CacheSource } from './cache.js';
import type { Mixture } from './mixture.js';

/** The part of a checkpoint's training state that belongs to the batch source. */
export interface SourceState {
  /** Streaming a token cache: its path and cursor. */
  cache?: { path: string; cursor: CacheCursor };
  /** Bucketed batches: the pool's state. */
  buckets?: BucketState;
}

export interface BatchSource {
  next(): Batch;
  /** What resume needs to continue exactly (merged into the checkpoint's state.json). */
  state(): SourceState;
  /** Continue from a saved state (the same kind of source must have written it). */
  restore(s: SourceState): void;
}

/** Fixed batches of batchSize mixture items. Its whole state is the mixture's and the drop RNG's. */
export class MixtureBatches implements BatchSource {
  constructor(
    private readonly mixture: Mixture,
    private readonly dropRng: Rng,
    private readonly tok: Tokenizers,
    private readonly blockSize: number,
    private readonly condDropout: number,
    private readonly batchSize: number,
  ) {}

  next(): Batch {
    const items = Array.from({ length: this.batchSize }, () => this.mixture.next());
    return makeBatch(items, this.tok, this.blockSize, this.condDropout, this.dropRng);
  }

  state(): SourceState {
    return {};
  }

  restore(): void {}
}

/** Length-bucketed batches (the bucket pool saves its own start and position). */
export class BucketBatches implements BatchSource {
  constructor(private readonly buckets: BucketBatcher) {}

  next(): Batch {
    return this.buckets.next();
  }

  state(): SourceState {
    return { buckets: this.buckets.getState() };
  }

  restore(s: SourceState): void {
    if (s.buckets) this.buckets.setState(s.buckets);
  }
}

/** batchSize sequences at a time from a token cache, in its seeded epoch order. */
export class CacheBatches implements BatchSource {
  readonly cache: CacheSource;

  constructor(
    path: string,
    private readonly tok: Tokenizers,
    seed: number,
    private readonly blockSize: number,
    private readonly batchSize: number,
  ) {
    this.cache = new CacheSource(path, tok, seed);
  }

  next(): Batch {
    const seqs = Array.from({ length: this.batchSize }, () => this.cache.next());
    return packBatch(seqs, new Array(this.batchSize).fill(null), this.tok, this.blockSize);
  }

  state(): SourceState {
    return { cache: { path: this.cache.path, cursor: { ...this.cache.cursor } } };
  }

  restore(s: SourceState): void {
    if (s.cache) this.cache.setCursor(s.cache.cursor);
  }
}
