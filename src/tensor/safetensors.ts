// Weights on disk in the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__}, then the
// raw little-endian data. Readable by the Python `safetensors` package and other tools.
// Written by hand because the format is ~100 lines and the npm packages for it are unmaintained or
// read-only; we add atomic writes, strict validation and a CRC32 of the data in __metadata__.
// The CRC32 (`tessera_tensors_crc32`) covers each tensor's bytes taken in name order, not the data section
// in file order, so a file re-saved by another tool (same tensors, stored in another order, metadata kept)
// still verifies. Files from before that (`tessera_crc32`, the data section in file order) are still
// checked that way; files with neither key (written by other tools) load after the structural checks only.
// Reading parses bytes (parseSafetensors), so a web browser that fetched a file validates it the same way.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { crc32 } from './crc32.js';
import { CheckpointError } from './errors.js';
import { type FileSource, folderFiles } from './files.js';
import type { Shape } from './tensor.js';

export type DType = 'F32' | 'I32' | 'U8';
export type TensorData = Float32Array | Int32Array | Uint8Array;

export interface NamedTensor {
  shape: Shape;
  data: TensorData;
}

const BYTES: Record<DType, number> = { F32: 4, I32: 4, U8: 1 };
/** Metadata key of the CRC32 over the tensors' bytes in name order (what this build writes). */
export const CRC_KEY = 'tessera_tensors_crc32';
/** Metadata key of the older CRC32 over the data section in file order (still verified when read). */
export const FILE_ORDER_CRC_KEY = 'tessera_crc32';
const MAX_HEADER = 100 * 1024 * 1024;

function dtypeOf(d: TensorData): DType {
  if (d instanceof Float32Array) return 'F32';
  if (d instanceof Int32Array) return 'I32';
  return 'U8';
}

/** Write tensors (and string metadata) to `path` atomically: a temp file, fsync, then rename. */
export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  const names = [...tensors.keys()];
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length)
      throw new Error(`writeSafetensors: ${name} has ${t.data.length} values but shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: dtypeOf(t.data), shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const body = Buffer.alloc(offset);
  let o = 0;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(body, o);
    o += d.byteLength;
  }
  const meta: Record<string, string> = { ...metadata };
  delete meta[FILE_ORDER_CRC_KEY]; // a key copied from an older file would not match the data written now
  meta[CRC_KEY] = String(tensorsCrc32(tensors));
  header.__metadata__ = meta;
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // align the data section to 8 bytes
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileAtomic(path, [head, Buffer.from(json), body]);
}

/** The CRC32 that `tessera_tensors_crc32` holds: each tensor's raw bytes, tensors sorted by name (JavaScript's
 * default string order, by UTF-16 code unit; the same as by code point for names without astral characters). */
export function tensorsCrc32(tensors: ReadonlyMap<string, NamedTensor>): number {
  let crc = 0;
  for (const name of [...tensors.keys()].sort()) {
    const d = tensors.get(name)!.data;
    crc = crc32(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), crc);
  }
  return crc;
}

export function writeFileAtomic(path: string, parts: readonly Uint8Array[]): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const p of parts) writeSync(fd, p);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** How the data of a file read was verified: by name-order CRC, by the older file-order CRC, or not at all
 * (no tessera checksum in the metadata: a file written by another tool; only the structure was checked). */
export type ChecksumKind = 'tensors' | 'file-order' | 'none';

export type Safetensors = {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
  checksum: ChecksumKind;
};

/** Read and validate a safetensors file. Any inconsistency throws an error that names the file. */
export function readSafetensors(path: string): Safetensors {
  return readSafetensorsFrom(folderFiles(dirname(path)), basename(path));
}

/** Read and validate the safetensors file `name` of a file source (a folder, or files in memory). */
export function readSafetensorsFrom(files: FileSource, name: string): Safetensors {
  const path = files.path(name);
  const unreadable = (why: string) =>
    new CheckpointError(
      path,
      `cannot read (${why})`,
      'check the path; a checkpoint directory holds weights.safetensors',
    );
  let buf: Uint8Array | null;
  try {
    buf = files.read(name);
  } catch (e) {
    throw unreadable((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  if (buf === null) throw unreadable('ENOENT');
  return parseSafetensors(buf, path);
}

/** Validate and decode the bytes of a safetensors file; `path` names it in errors. */
export function parseSafetensors(buf: Uint8Array, path: string): Safetensors {
  const hint = 'HINT: the file is truncated or corrupted; re-create it (re-train or re-download the checkpoint)';
  const fail = (why: string): never => {
    throw new CheckpointError(path, `not a valid safetensors file: ${why}`, hint.replace(/^HINT: /, ''));
  };
  if (buf.length < 8) fail(`only ${buf.length} bytes`);
  const hlen = Number(new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true));
  if (hlen > MAX_HEADER || 8 + hlen > buf.length) fail(`header length ${hlen} exceeds the file size ${buf.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + hlen)));
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const body = buf.subarray(8 + hlen);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    fail('__metadata__ is not a JSON object');
  for (const [k, v] of Object.entries(metadata))
    if (typeof v !== 'string') fail(`__metadata__.${k} is ${JSON.stringify(v)}, expected a string`);
  const spans: [number, number, string][] = [];
  const tensors = new Map<string, NamedTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !(e.dtype in BYTES)) fail(`${name}: unsupported dtype ${String(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`${name}: bad shape`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1])
      fail(`${name}: bad data_offsets`);
    const dtype = e.dtype as DType;
    const shape = e.shape as number[];
    const [begin, end] = off as [number, number];
    const n = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== n * BYTES[dtype])
      fail(`${name}: ${end - begin} bytes for shape [${shape.join(', ')}] of ${dtype}`);
    if (end > body.length) fail(`${name}: data ends at byte ${end} but the data section has ${body.length} bytes`);
    spans.push([begin, end, name]);
    const bytes = new Uint8Array(end - begin);
    bytes.set(body.subarray(begin, end));
    const data =
      dtype === 'F32' ? new Float32Array(bytes.buffer) : dtype === 'I32' ? new Int32Array(bytes.buffer) : bytes;
    tensors.set(name, { shape, data });
  }
  spans.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [b, e, name] of spans) {
    if (b !== at) fail(`${name}: data starts at ${b}, expected ${at} (gap or overlap)`);
    at = e;
  }
  if (at !== body.length) fail(`data section has ${body.length} bytes, tensors cover ${at}`);
  const check = (key: string, got: number): ChecksumKind => {
    if (metadata[key] !== String(got))
      fail(`data checksum mismatch (${key} is ${metadata[key]}, the data gives ${got})`);
    return key === CRC_KEY ? 'tensors' : 'file-order';
  };
  let checksum: ChecksumKind = 'none';
  if (metadata[CRC_KEY] !== undefined) checksum = check(CRC_KEY, tensorsCrc32(tensors));
  else if (metadata[FILE_ORDER_CRC_KEY] !== undefined) checksum = check(FILE_ORDER_CRC_KEY, crc32(body));
  return { tensors, metadata, checksum };
}
