// A checkpoint is a directory: weights.safetensors (parameters), config.json (the model config and a
// format version), and optionally optimizer.safetensors + state.json for exact resume of training, plus any
// extra files the caller adds (tokenizers). The directory is replaced atomically: everything is written to a
// sibling temp directory that is renamed into place, so an interrupted save never leaves a half checkpoint.
// Reading goes through a FileSource (files.ts): a folder, or the files a web browser fetched.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from './errors.js';
import { type FileSource, folderFiles, readText } from './files.js';
import { processAlive } from './folder-lock.js';
import type { AdamW } from './optim.js';
import type { Params } from './params.js';
import { type NamedTensor, readSafetensorsFrom, writeSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'tessera-checkpoint';
/** 2: the multimodal model's config no longer holds condDropout (training's config does). Version 1
 *  checkpoints (the shipped models among them) still load: readers say what changed (model/loadModel). */
export const CHECKPOINT_VERSION = 2;
export const READABLE_CHECKPOINT_VERSIONS: readonly number[] = [1, 2];

/** Removes the temporary folders a save that was killed left next to checkpoints in `parent` (those of
 *  processes that no longer run). Returns what it removed. */
export function removeStaleCheckpointTemps(parent: string): string[] {
  if (!existsSync(parent)) return [];
  const gone: string[] = [];
  for (const name of readdirSync(parent)) {
    const m = /^\..+\.(tmp|old)-(\d+)$/.exec(name);
    if (!m || processAlive(Number(m[2]))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
    gone.push(name);
  }
  return gone;
}

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

export { CheckpointError };

export interface CheckpointHeader {
  kind: string;
  version: number;
  config: Record<string, unknown>;
}

/** A checkpoint's files: a folder path, or a FileSource as it is. */
export function checkpointFiles(dir: string | FileSource): FileSource {
  return typeof dir === 'string' ? folderFiles(dir) : dir;
}

/** Read config.json, checking the format and version. */
export function readCheckpointHeader(dir: string | FileSource): CheckpointHeader {
  const files = checkpointFiles(dir);
  const path = files.path('config.json');
  const hint = `${files.where} is not a tessera checkpoint directory, or it is damaged; point to a directory written by tessera (train again to re-create it)`;
  if (!files.exists('config.json')) throw new CheckpointError(path, 'not found', hint);
  let j: { format?: unknown; version?: unknown; kind?: unknown; config?: unknown };
  try {
    j = JSON.parse(readText(files, 'config.json') ?? '');
  } catch {
    throw new CheckpointError(path, 'not valid JSON', hint);
  }
  if (j === null || typeof j !== 'object') throw new CheckpointError(path, 'not a JSON object', hint);
  if (j.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(path, `format is ${JSON.stringify(j.format)}, expected "${CHECKPOINT_FORMAT}"`, hint);
  if (typeof j.version !== 'number' || !READABLE_CHECKPOINT_VERSIONS.includes(j.version))
    throw new CheckpointError(
      path,
      `checkpoint version ${String(j.version)}, this tessera reads versions ${READABLE_CHECKPOINT_VERSIONS.join(' and ')}`,
      're-train, or use the tessera version that wrote it',
    );
  if (typeof j.kind !== 'string' || j.config === null || typeof j.config !== 'object')
    throw new CheckpointError(path, 'missing kind or config', hint);
  return { kind: j.kind, version: j.version, config: j.config as Record<string, unknown> };
}

/** The first non-finite value of a tensor, or -1. */
function firstNonFinite(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}

/** Load weights (and optimiser state and training state when asked) into already-built objects. Weights
 *  and moments must be finite (a NaN or Inf is refused, naming the tensor). */
export function loadCheckpoint(
  dir: string | FileSource,
  target: { kind: string; params: Params; optimizer?: AdamW },
): { state: unknown } {
  const files = checkpointFiles(dir);
  const header = readCheckpointHeader(files);
  const again = 'use another checkpoint, or train again to re-create it';
  if (header.kind !== target.kind)
    throw new CheckpointError(
      files.path('config.json'),
      `holds a "${header.kind}" model, expected "${target.kind}"`,
      again,
    );
  const wpath = files.path('weights.safetensors');
  const w = readSafetensorsFrom(files, 'weights.safetensors');
  const values = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, t] of w.tensors) {
    if (!(t.data instanceof Float32Array)) throw new CheckpointError(wpath, `${name} is not F32`, again);
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new CheckpointError(wpath, `${name}[${bad}] is ${t.data[bad]} (weights must be finite)`, again);
    values.set(name, { shape: t.shape, data: t.data });
  }
  target.params.load(values, wpath);
  let state: unknown = null;
  if (target.optimizer) {
    const path = files.path('optimizer.safetensors');
    const resume = 'this checkpoint cannot be resumed; start a new run (or export it and fine-tune from the export)';
    if (!files.exists('optimizer.safetensors'))
      throw new CheckpointError(path, 'not found (the checkpoint has no optimizer state)', resume);
    const o = readSafetensorsFrom(files, 'optimizer.safetensors');
    const opt = target.optimizer;
    for (const [name, t] of opt.params.map) {
      const m = o.tensors.get(`m.${name}`);
      const v = o.tensors.get(`v.${name}`);
      if (!m || !v || m.data.length !== t.size || v.data.length !== t.size)
        throw new CheckpointError(path, `optimizer state for ${name} is missing or has the wrong size`, resume);
      if (firstNonFinite(m.data as Float32Array) >= 0 || firstNonFinite(v.data as Float32Array) >= 0)
        throw new CheckpointError(path, `optimizer state for ${name} is not finite`, resume);
      opt.m.get(name)!.set(m.data);
      opt.v.get(name)!.set(v.data);
    }
    opt.step = Number(o.metadata.step);
    if (!Number.isInteger(opt.step) || opt.step < 0)
      throw new CheckpointError(path, 'metadata.step is not an integer >= 0', resume);
    const sp = files.path('state.json');
    if (files.exists('state.json')) {
      try {
        state = JSON.parse(readText(files, 'state.json') ?? '');
      } catch {
        throw new CheckpointError(sp, 'not valid JSON (the training state is damaged)', resume);
      }
      if (state === null || typeof state !== 'object' || Array.isArray(state))
        throw new CheckpointError(sp, 'not a JSON object (the training state is damaged)', resume);
    }
  }
  return { state };
}
