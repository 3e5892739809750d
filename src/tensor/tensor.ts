// The Tensor, its memory, and reverse-mode autograd.
//
// Memory: every non-parameter buffer comes from a size-keyed pool. Inside `tidy(fn)` each tensor created
// is tracked and returned to the pool when fn ends (except what fn returns or `keep`s), so a training step
// or a generation step allocates nothing in steady state and leaks nothing. Outside any tidy scope,
// tensors are plain garbage-collected arrays.
//
// Autograd: while grad mode is on, each op whose inputs need grad records a Node on the tape. `backward`
// walks the tape in reverse, each node accumulating (+=) into its inputs' grads, then clears the tape.
import { kernels } from './kernels/index.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new Error(`invalid shape [${shape.join(', ')}]: dimensions must be integers >= 0`);
    n *= d;
  }
  return n;
}

// ---- buffer pool ------------------------------------------------------------------------------------
// Buffers are pooled by bucket (sizes rounded up to 1/8 steps of a power of two), so sequences of varying
// length reuse the same memory. A pooled tensor's data is a view of a bucket-sized buffer; only buffers
// the pool allocated itself (tracked in `owned`) ever go back to it, never a caller's array.
const pool = new Map<number, Float32Array[]>();
const owned = new WeakSet<ArrayBuffer>();
let pooledFloats = 0;

function bucketOf(n: number): number {
  if (n <= 64) return 64;
  const step = 2 ** Math.max(0, Math.floor(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

// Batches of varying shape (length-bucketed training) ask for many sizes; if every bucket kept its own
// peak, the pool would hold a step's peak once per bucket. So a request that finds its bucket empty takes
// a free buffer of up to twice its size from the buckets above, and the pool keeps at most MAX_POOLED
// floats (a returned buffer beyond that is left to the garbage collector).
const MAX_POOLED = 256 * 1024 * 1024; // floats: 1 GiB

function takeBuffer(n: number): Float32Array {
  const b = bucketOf(n);
  let full: Float32Array | undefined;
  for (let s = b, k = 0; k <= 8 && s <= 2 * b; k++, s = bucketOf(s + 1)) {
    const list = pool.get(s);
    if (list !== undefined && list.length > 0) {
      pooledFloats -= s;
      full = list.pop()!;
      break;
    }
  }
  if (full === undefined) {
    full = new Float32Array(b);
    owned.add(full.buffer as ArrayBuffer);
  }
  return full.length === n ? full : full.subarray(0, n);
}

function giveBuffer(buf: Float32Array): void {
  const ab = buf.buffer as ArrayBuffer;
  if (!owned.has(ab)) return; // not ours: leave it to the garbage collector
  const full = new Float32Array(ab);
  if (pooledFloats + full.length > MAX_POOLED) return;
  let list = pool.get(full.length);
  if (list === undefined) {
    list = [];
    pool.set(full.length, list);
  }
  list.push(full);
  pooledFloats += full.length;
}

/** Drop every pooled buffer (for memory tests and before long idle periods). */
export function clearPool(): void {
  pool.clear();
  pooledFloats = 0;
}

export function poolStats(): { buffers: number; bytes: number } {
  let buffers = 0;
  for (const l of pool.values()) buffers += l.length;
  return { buffers, bytes: pooledFloats * 4 };
}

// ---- scopes -----------------------------------------------------------------------------------------
const scopes: Tensor[][] = [];

/** Run fn; tensors it created are disposed afterwards, except those it returns (a Tensor, an array or a
 *  plain object of Tensors) and those passed to keep(). */
export function tidy<R>(fn: () => R): R {
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: R;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  const outer = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  for (const t of scope) {
    if (survivors.has(t) || t.kept) outer?.push(t);
    else t.dispose();
  }
  // A graph recorded in a finished outermost scope can never be walked again: its tensors are gone.
  if (outer === null) tape.length = 0;
  return result;
}

function collectTensors(v: unknown, into: Set<Tensor>): void {
  if (v instanceof Tensor) into.add(v);
  else if (Array.isArray(v)) for (const x of v) collectTensors(x, into);
  else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collectTensors(x, into);
}

// ---- grad mode and tape -----------------------------------------------------------------------------
let gradEnabled = true;

/** Run fn with autograd off (inference): no tape, no saved activations. */
export function noGrad<R>(fn: () => R): R {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

interface Node {
  out: Tensor;
  backward: () => void;
}
const tape: Node[] = [];

// ---- Tensor -----------------------------------------------------------------------------------------
export class Tensor {
  data: Float32Array;
  readonly shape: Shape;
  readonly size: number;
  grad: Float32Array | null = null;
  requiresGrad: boolean;
  /** Persistent tensors (parameters, optimiser state) never go back to the pool. */
  readonly persistent: boolean;
  kept = false;
  private disposed = false;

  constructor(data: Float32Array, shape: Shape, opts: { requiresGrad?: boolean; persistent?: boolean } = {}) {
    const n = sizeOf(shape);
    if (data.length !== n)
      throw new Error(`tensor data has ${data.length} values but shape [${shape.join(', ')}] needs ${n}`);
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.size = n;
    this.requiresGrad = opts.requiresGrad ?? false;
    this.persistent = opts.persistent ?? false;
    if (!this.persistent && scopes.length > 0) scopes[scopes.length - 1].push(this);
  }

  /** An uninitialised pooled tensor (its contents are garbage until written). */
  static empty(shape: Shape): Tensor {
    return new Tensor(takeBuffer(sizeOf(shape)), shape);
  }

  static zeros(shape: Shape): Tensor {
    const t = Tensor.empty(shape);
    t.data.fill(0);
    return t;
  }

  static from(values: ArrayLike<number>, shape: Shape = [values.length]): Tensor {
    const t = Tensor.empty(shape);
    if (values.length !== t.size)
      throw new Error(`${values.length} values given for shape [${shape.join(', ')}] (${t.size})`);
    t.data.set(values);
    return t;
  }

  /** A trainable parameter: persistent, requires grad, owns its grad buffer. */
  static param(data: Float32Array, shape: Shape): Tensor {
    const t = new Tensor(data, shape, { requiresGrad: true, persistent: true });
    t.grad = new Float32Array(t.size);
    return t;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dim(i: number): number {
    return this.shape[i < 0 ? this.shape.length + i : i];
  }

  item(): number {
    if (this.size !== 1)
      throw new Error(`item() needs a tensor of one value, this one has shape [${this.shape.join(', ')}]`);
    return this.data[0];
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  /** Keep this tensor alive past the enclosing tidy scope. */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** The gradient buffer, allocated (zeroed) on first use. */
  ensureGrad(): Float32Array {
    if (this.grad === null) {
      this.grad = this.persistent ? new Float32Array(this.size) : takeBuffer(this.size);
      this.grad.fill(0);
    }
    return this.grad;
  }

  zeroGrad(): void {
    this.grad?.fill(0);
  }

  /** Return the buffers to the pool; the tensor must not be used afterwards. */
  dispose(): void {
    if (this.disposed || this.persistent) return;
    this.disposed = true;
    giveBuffer(this.data);
    if (this.grad !== null) giveBuffer(this.grad);
    this.data = EMPTY;
    this.grad = null;
  }

  /** Reverse-mode autodiff from this scalar (or from this tensor with the given output gradient). */
  backward(outGrad?: Float32Array): void {
    if (!this.requiresGrad)
      throw new Error('backward() on a tensor that does not require grad (is autograd off, or no parameter involved?)');
    const g = this.ensureGrad();
    if (outGrad) g.set(outGrad);
    else if (this.size === 1) g[0] = 1;
    else throw new Error(`backward() without an output gradient needs a scalar, got shape [${this.shape.join(', ')}]`);
    for (let i = tape.length - 1; i >= 0; i--) {
      const node = tape[i];
      if (node.out.grad !== null) node.backward();
    }
    tape.length = 0;
  }
}

const EMPTY = new Float32Array(0);

/** Forget the recorded graph without running backward (e.g. after an evaluation forward pass with grad on). */
export function clearTape(): void {
  tape.length = 0;
}

export function tapeLength(): number {
  return tape.length;
}

/** Create an op's output and, if any input needs grad, record its backward. `backward` receives the output
 *  gradient and must accumulate into `input.ensureGrad()` for inputs with requiresGrad. */
export function record(out: Tensor, inputs: readonly Tensor[], backward: (dout: Float32Array) => void): Tensor {
  if (!gradEnabled) return out;
  if (!inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  tape.push({ out, backward: () => backward(out.grad!) });
  return out;
}

/** The same check everywhere: throw a message naming the op and both shapes. */
export function assertShape(op: string, what: string, got: Shape, want: Shape): void {
  if (got.length !== want.length || got.some((d, i) => want[i] >= 0 && d !== want[i]))
    throw new Error(
      `${op}: ${what} has shape [${got.join(', ')}], expected [${want.map((d) => (d < 0 ? '*' : d)).join(', ')}]`,
    );
}

export { kernels };
