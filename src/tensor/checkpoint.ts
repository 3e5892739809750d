// A checkpoint is a directory: weights.safetensors (parameters), config.json (the model config and a
// format version), and optionally optimizer.safetensors + state.json for exact resume of training, plus any
// extra files the caller adds (tokenizers). The directory is replaced atomically: everything is written to a
// sibling temp directory that is renamed into place, so an interrupted save never leaves a half checkpoint.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AdamW } from './optim.js';
import type { Params } from './params.js';
import { type NamedTensor, readSafetensors, writeSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'tessera-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointContents {
  /** What kind of model this is ("gpt", "vqvae", ...) and its config; stored in config.json. */
  kind: string;
  config: object;
  params: Params;
  optimizer?: AdamW;
  /** Training state for exact resume (step, RNG states, data cursor...), stored as state.json. */
  state?: object;
  /** Extra files, name -> contents (e.g. tokenizer.json). */
  files?: Record<string, string | Uint8Array>;
  /** Sub-directories written by callbacks (e.g. a nested tokenizer checkpoint), inside the atomic swap. */
  subdirs?: Record<string, (dir: string) => void>;
}

function paramsToMap(params: Params): Map<string, NamedTensor> {
  const m = new Map<string, NamedTensor>();
  for (const [name, t] of params.map) m.set(name, { shape: t.shape, data: t.data });
  return m;
}

export function saveCheckpoint(dir: string, c: CheckpointContents): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const meta = { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION), kind: c.kind };
  writeSafetensors(join(tmp, 'weights.safetensors'), paramsToMap(c.params), meta);
  writeFileSync(
    join(tmp, 'config.json'),
    JSON.stringify({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, kind: c.kind, config: c.config }, null, 2),
  );
  if (c.optimizer) {
    const o = c.optimizer;
    const m = new Map<string, NamedTensor>();
    for (const [name, t] of o.params.map) {
      m.set(`m.${name}`, { shape: t.shape, data: o.m.get(name)! });
      m.set(`v.${name}`, { shape: t.shape, data: o.v.get(name)! });
    }
    writeSafetensors(join(tmp, 'optimizer.safetensors'), m, { ...meta, step: String(o.step) });
  }
  if (c.state) writeFileSync(join(tmp, 'state.json'), JSON.stringify(c.state));
  for (const [name, body] of Object.entries(c.files ?? {})) writeFileSync(join(tmp, name), body);
  for (const [name, write] of Object.entries(c.subdirs ?? {})) write(join(tmp, name));
  const old = join(parent, `.${basename(dir)}.old-${process.pid}`);
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

export interface CheckpointHeader {
  kind: string;
  config: Record<string, unknown>;
}

/** Read config.json, checking the format and version. */
export function readCheckpointHeader(dir: string): CheckpointHeader {
  const path = join(dir, 'config.json');
  const hint = `HINT: ${dir} is not a tessera checkpoint directory, or it is damaged; point to a directory written by tessera (train again to re-create it)`;
  if (!existsSync(path)) throw new Error(`${path} not found. ${hint}`);
  let j: { format?: unknown; version?: unknown; kind?: unknown; config?: unknown };
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}). ${hint}`);
  }
  if (j.format !== CHECKPOINT_FORMAT)
    throw new Error(`${path}: format is ${JSON.stringify(j.format)}, expected "${CHECKPOINT_FORMAT}". ${hint}`);
  if (j.version !== CHECKPOINT_VERSION)
    throw new Error(
      `${path}: checkpoint version ${String(j.version)}, this tessera reads version ${CHECKPOINT_VERSION}. HINT: re-train, or use the tessera version that wrote it`,
    );
  if (typeof j.kind !== 'string' || j.config === null || typeof j.config !== 'object')
    throw new Error(`${path}: missing kind or config. ${hint}`);
  return { kind: j.kind, config: j.config as Record<string, unknown> };
}

/** Load weights (and optimiser state and training state when asked) into already-built objects. */
export function loadCheckpoint(
  dir: string,
  target: { kind: string; params: Params; optimizer?: AdamW },
): { state: unknown } {
  const header = readCheckpointHeader(dir);
  if (header.kind !== target.kind) throw new Error(`${dir}: holds a "${header.kind}" model, expected "${target.kind}"`);
  const w = readSafetensors(join(dir, 'weights.safetensors'));
  const values = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, t] of w.tensors) {
    if (!(t.data instanceof Float32Array)) throw new Error(`${dir}/weights.safetensors: ${name} is not F32`);
    values.set(name, { shape: t.shape, data: t.data });
  }
  target.params.load(values, join(dir, 'weights.safetensors'));
  let state: unknown = null;
  if (target.optimizer) {
    const path = join(dir, 'optimizer.safetensors');
    const o = readSafetensors(path);
    const opt = target.optimizer;
    for (const [name, t] of opt.params.map) {
      const m = o.tensors.get(`m.${name}`);
      const v = o.tensors.get(`v.${name}`);
      if (!m || !v || m.data.length !== t.size || v.data.length !== t.size)
        throw new Error(`${path}: optimizer state for ${name} is missing or has the wrong size`);
      opt.m.get(name)!.set(m.data);
      opt.v.get(name)!.set(v.data);
    }
    opt.step = Number(o.metadata.step);
    if (!Number.isInteger(opt.step)) throw new Error(`${path}: metadata.step is not an integer`);
    const sp = join(dir, 'state.json');
    if (existsSync(sp)) state = JSON.parse(readFileSync(sp, 'utf8'));
  }
  return { state };
}
