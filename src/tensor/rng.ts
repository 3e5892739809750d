// Seeded random numbers: every random choice in tessera flows from one of these (never Math.random),
// so runs, tests and samples are reproducible. One class, two versioned streams:
//   - the engine stream (`new Rng(seed)`): splitmix32; weights, training RNGs, sampling;
//   - the world stream (`Rng.world(seed)`): mulberry32 from a splitmix32-mixed seed; the scene world,
//     emoji items, token-cache orders, the patch dictionary. It is the data layer's generator of before
//     the two were one class, kept bit for bit, so every data stream (and so the shipped models' training
//     data and held-out sets) stays what it was. A new stream would get a new name, never replace these.
// Box-Muller for normals.
export type RngStream = 'engine' | 'world';

export class Rng {
  private state: number;
  private spare: number | null = null;
  readonly stream: RngStream = 'engine';

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The world stream (the data layer's): nearby seeds (0, 1, 2...) give unrelated streams. */
  static world(seed: number): Rng {
    const r = new Rng(0);
    let z = (seed >>> 0) + 0x9e3779b9;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    r.state = (z ^ (z >>> 16)) >>> 0;
    (r as { stream: RngStream }).stream = 'world';
    return r;
  }

  /** The full state, for exact resume. */
  getState(): { state: number; spare: number | null } {
    return { state: this.state, spare: this.spare };
  }

  setState(s: { state: number; spare: number | null }): void {
    this.state = s.state >>> 0;
    this.spare = s.spare;
  }

  /** Uniform in [0, 1). */
  next(): number {
    if (this.stream === 'world') {
      this.state = (this.state + 0x6d2b79f5) >>> 0;
      let t = this.state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi], both included. */
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A derived generator of the same stream, for giving each item of a batch its own. */
  fork(salt: number): Rng {
    const seed = (Math.floor(this.next() * 4294967296) ^ Math.imul(salt + 1, 0x27d4eb2d)) >>> 0;
    return this.stream === 'world' ? Rng.world(seed) : new Rng(seed);
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('Rng.pick from an empty list');
    return xs[this.int(xs.length)];
  }

  /** Shuffles xs in place (Fisher-Yates) and returns it. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }

  /** A shuffled copy (the same draws as shuffle). */
  shuffled<T>(xs: readonly T[]): T[] {
    return this.shuffle(xs.slice());
  }

  /** Fill with N(0, std^2). */
  fillNormal(a: Float32Array, std = 1): Float32Array {
    for (let i = 0; i < a.length; i++) a[i] = this.normal() * std;
    return a;
  }

  fillUniform(a: Float32Array, lo = 0, hi = 1): Float32Array {
    for (let i = 0; i < a.length; i++) a[i] = lo + (hi - lo) * this.next();
    return a;
  }
}
