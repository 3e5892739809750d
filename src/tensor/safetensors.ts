// Weights on disk in the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__}, then the
// raw little-endian data. Readable by the Python `safetensors` package and other tools.
// Written by hand because the format is ~100 lines and the npm packages for it are unmaintained or
// read-only; we add atomic writes, strict validation and a CRC32 of the data in __metadata__.
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
const CRC_KEY = 'tessera_crc32';
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
  header.__metadata__ = { ...metadata, [CRC_KEY]: String(crc32(body)) };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // align the data section to 8 bytes
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileAtomic(path, [head, Buffer.from(json), body]);
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

export type Safetensors = { tensors: Map<string, NamedTensor>; metadata: Record<string, string> };

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
  if (metadata[CRC_KEY] !== undefined && metadata[CRC_KEY] !== String(crc32(body))) fail('data checksum mismatch');
  return { tensors, metadata };
}
