// Length-bucketed batches under a token budget. A fixed batch of B items is padded to its longest item, so
// one 375-token edit chain makes seven ~100-token items pay for 375 tokens each (measured: ~40% of the
// default mixture's padded tokens were padding). Instead, a pool of items is drawn from the mixture, sorted
// by length and cut greedily into batches whose padded size rows x T stays within the budget; the batches
// of a pool are taken in a seeded random order. Short items therefore come many to a batch and a step costs
// about the same whatever it holds.
//
// Exact resume: a pool is a pure function of the mixture state and the dropout RNG at the moment it was
// drawn, so the state is those two plus how many of its batches were used; restoring redraws the pool.
import type { TaskItem } from '../data/index.js';
import type { Tokenizers } from '../model/index.js';
import { Rng } from '../tensor/index.js';
import { type Batch, packBatch, trainingSequence } from './batch.js';
import type { TokenSequence } from './cache.js';
import { Mixture, type MixtureState } from './mixture.js';

type RngState = { state: number; spare: number | null };

export interface BucketState {
  /** Mixture and dropout RNG as they were when the current pool was drawn (null before the first pool). */
  poolStart: { mixture: MixtureState; drop: RngState } | null;
  used: number;
}

interface Built {
  item: TaskItem;
  seq: TokenSequence;
}

export class BucketBatcher {
  private batches: Built[][] = [];
  private state: BucketState = { poolStart: null, used: 0 };

  constructor(
    private readonly mixture: Mixture,
    private readonly dropRng: Rng,
    private readonly tok: Tokenizers,
    private readonly blockSize: number,
    private readonly condDropout: number,
    /** Padded tokens (rows x T) a batch may hold. */
    private readonly budget: number,
    /** Items drawn per pool. */
    private readonly poolSize = 96,
  ) {
    if (budget < blockSize)
      throw new Error(`batch budget ${budget} tokens is smaller than the block size ${blockSize}`);
  }

  next(): Batch {
    if (this.state.poolStart === null || this.state.used >= this.batches.length) this.drawPool();
    const batch = this.batches[this.state.used++];
    return packBatch(
      batch.map((b) => b.seq),
      batch.map((b) => b.item.task),
      this.tok,
      this.blockSize,
    );
  }

  getState(): BucketState {
    return structuredClone(this.state);
  }

  setState(s: BucketState): void {
    if (s.poolStart === null) {
      this.state = { poolStart: null, used: 0 };
      this.batches = [];
      return;
    }
    // Redraw the pool from where it began, then restore the RNGs' current positions (after the pool).
    this.mixture.setState(s.poolStart.mixture);
    this.dropRng.setState(s.poolStart.drop);
    this.drawPool();
    this.state.used = s.used;
  }

  private drawPool(): void {
    const start = { mixture: this.mixture.getState(), drop: this.dropRng.getState() };
    const built: Built[] = [];
    for (let i = 0; i < this.poolSize; i++) {
      const item = this.mixture.next();
      built.push({ item, seq: trainingSequence(item, this.tok, this.condDropout, this.dropRng) });
    }
    const len = (b: Built) => Math.min(this.blockSize, b.seq.ids.length);
    built.sort((a, b) => len(a) - len(b));
    const batches: Built[][] = [];
    let cur: Built[] = [];
    for (const b of built) {
      // Sorted ascending: the newest item is the longest, so the padded size is rows x its length.
      if (cur.length > 0 && (cur.length + 1) * len(b) > this.budget) {
        batches.push(cur);
        cur = [];
      }
      cur.push(b);
    }
    if (cur.length) batches.push(cur);
    // Seeded order so a step's batch does not track the length sort (the drop RNG is part of the state).
    const order = new Rng(Math.floor(this.dropRng.next() * 2 ** 31));
    for (let i = batches.length - 1; i > 0; i--) {
      const j = Math.floor(order.next() * (i + 1));
      [batches[i], batches[j]] = [batches[j], batches[i]];
    }
    this.batches = batches;
    this.state = { poolStart: start, used: 0 };
  }
}

/** Mean items per batch that a mixture gives under a token budget (drawn, not trained; for planning). */
export function meanItemsPerBatch(
  weights: ConstructorParameters<typeof Mixture>[0],
  seed: number,
  tok: Tokenizers,
  blockSize: number,
  budget: number,
  pools = 4,
): number {
  const poolSize = 96;
  const b = new BucketBatcher(new Mixture(weights, seed), new Rng(seed), tok, blockSize, 0, budget, poolSize);
  let batches = 0;
  for (let items = 0; items < pools * poolSize; batches++) items += b.next().B;
  return (pools * poolSize) / batches;
}
