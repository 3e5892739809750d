// A flat, ordered store of named parameters ("h.0.attn.qkv.w" -> Tensor), the unit that the
// optimiser updates and the checkpoint format saves. Initialisers are seeded.
import { CheckpointError } from './errors.js';
import type { Rng } from './rng.js';
import { type Shape, sizeOf, Tensor } from './tensor.js';

export type Init =
  | { kind: 'normal'; std: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'uniform'; bound: number };

export class Params {
  readonly map = new Map<string, Tensor>();

  constructor(private readonly rng: Rng) {}

  add(name: string, shape: Shape, init: Init): Tensor {
    if (this.map.has(name)) throw new Error(`parameter ${name} defined twice`);
    const data = new Float32Array(sizeOf(shape));
    if (init.kind === 'normal') this.rng.fillNormal(data, init.std);
    else if (init.kind === 'ones') data.fill(1);
    else if (init.kind === 'uniform') this.rng.fillUniform(data, -init.bound, init.bound);
    const t = Tensor.param(data, shape);
    this.map.set(name, t);
    return t;
  }

  get(name: string): Tensor {
    const t = this.map.get(name);
    if (t === undefined) throw new Error(`no parameter named ${name}`);
    return t;
  }

  count(): number {
    let n = 0;
    for (const t of this.map.values()) n += t.size;
    return n;
  }

  zeroGrad(): void {
    for (const t of this.map.values()) t.zeroGrad();
  }

  /** Copy values from a name -> data map, checking that names and sizes match exactly. */
  load(values: ReadonlyMap<string, { shape: Shape; data: Float32Array }>, source: string): void {
    const missing = [...this.map.keys()].filter((k) => !values.has(k));
    const extra = [...values.keys()].filter((k) => !this.map.has(k));
    const hint = 'these weights belong to another model or config; use the checkpoint as tessera wrote it';
    if (missing.length || extra.length)
      throw new CheckpointError(
        source,
        `parameters do not match the model (missing: ${missing.slice(0, 5).join(', ') || 'none'}; unexpected: ${extra.slice(0, 5).join(', ') || 'none'})`,
        hint,
      );
    for (const [name, t] of this.map) {
      const v = values.get(name)!;
      if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i]))
        throw new CheckpointError(
          source,
          `${name} has shape [${v.shape.join(', ')}], the model expects [${t.shape.join(', ')}]`,
          hint,
        );
      t.data.set(v.data);
    }
  }
}
