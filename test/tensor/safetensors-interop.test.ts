// Safetensors files that travel through other tools: an independent reader/writer written from the
// format spec in Python (test/helpers/safetensors_interop.py, standard library only, standing in for
// Hugging Face's `safetensors`) reads what tessera writes, value for value, and re-saves it the way another
// tool might (tensors in reversed order, header spaced and padded differently, metadata kept), which
// tessera must load identically; corruption and truncation of such files are still refused clearly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultModelDir } from '../../src/model/index.js';
import {
  CRC_KEY,
  FILE_ORDER_CRC_KEY,
  type NamedTensor,
  packageRoot,
  Rng,
  readSafetensors,
  writeSafetensors,
} from '../../src/tensor/index.js';

const script = join(packageRoot(), 'test', 'helpers', 'safetensors_interop.py');
const dir = mkdtempSync(join(tmpdir(), 'tessera-st-interop-'));
const python = (...args: string[]) => execFileSync('python3', [script, ...args], { encoding: 'utf8' });

type Dump = {
  metadata: Record<string, string>;
  order: string[];
  crc_by_name: number;
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
};

/** Tensors of every dtype, inserted in an order that is not name order, with seeded random values. */
function sample(): Map<string, NamedTensor> {
  const rng = new Rng(13);
  const f32 = Float32Array.from({ length: 6 * 5 }, () => rng.normal() * 3);
  f32[0] = -0;
  f32[1] = 3.4028234663852886e38;
  f32[2] = 1e-45;
  return new Map<string, NamedTensor>([
    ['z.head.weight', { shape: [6, 5], data: f32 }],
    ['blocks.0.bias', { shape: [7], data: Float32Array.from({ length: 7 }, () => rng.next() - 0.5) }],
    ['codes', { shape: [2, 3], data: Int32Array.from([7, -1, 0, 2 ** 31 - 1, -(2 ** 31), 42]) }],
    ['a.bytes', { shape: [4], data: Uint8Array.from([0, 1, 128, 255]) }],
    ['empty', { shape: [0, 3], data: new Float32Array(0) }],
  ]);
}

function writeSample(name: string): { path: string; tensors: Map<string, NamedTensor> } {
  const path = join(dir, name);
  const tensors = sample();
  writeSafetensors(path, tensors, { format: 'tessera', note: 'kept by other tools' });
  return { path, tensors };
}

function assertSameTensors(got: ReadonlyMap<string, NamedTensor>, want: ReadonlyMap<string, NamedTensor>): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [name, t] of want) {
    const r = got.get(name)!;
    assert.deepEqual(r.shape, t.shape, name);
    assert.equal(r.data.constructor, t.data.constructor, name);
    assert.deepEqual(
      Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength),
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      name,
    );
  }
}

test('the Python reader reads every tensor of our file with our values, and the same name-order CRC', () => {
  const { path, tensors } = writeSample('ours.safetensors');
  const d = JSON.parse(python('dump', path)) as Dump;
  assert.deepEqual(d.order, [...tensors.keys()]);
  assert.equal(d.metadata.note, 'kept by other tools');
  assert.equal(d.metadata[CRC_KEY], String(d.crc_by_name));
  const dtypes = { Float32Array: 'F32', Int32Array: 'I32', Uint8Array: 'U8' } as Record<string, string>;
  for (const [name, t] of tensors) {
    const p = d.tensors[name];
    assert.equal(p.dtype, dtypes[t.data.constructor.name], name);
    assert.deepEqual(p.shape, t.shape, name);
    assert.deepEqual(p.values, Array.from(t.data), name); // float32 -> double is exact on both sides
  }
});

test('a file re-saved with the tensors in reversed order and another header padding loads identically', () => {
  const { path, tensors } = writeSample('src.safetensors');
  for (const pad of ['0', '13', '64']) {
    const out = join(dir, `reversed-${pad}.safetensors`);
    python('rewrite', path, out, '--pad', pad);
    const d = JSON.parse(python('dump', out)) as Dump;
    assert.deepEqual(d.order, [...tensors.keys()].reverse());
    const r = readSafetensors(out);
    assert.equal(r.checksum, 'tensors');
    assert.equal(r.metadata.note, 'kept by other tools');
    assertSameTensors(r.tensors, tensors);
  }
});

test('without our checksum (another tool wrote it) it loads unverified; the older file-order CRC still verifies', () => {
  const { path, tensors } = writeSample('src2.safetensors');
  const bare = join(dir, 'bare.safetensors');
  python('rewrite', path, bare, '--crc', 'none');
  const r = readSafetensors(bare);
  assert.equal(r.checksum, 'none');
  assertSameTensors(r.tensors, tensors);
  const old = join(dir, 'old.safetensors');
  python('rewrite', path, old, '--crc', 'file-order');
  const o = readSafetensors(old);
  assert.equal(o.checksum, 'file-order');
  assert.ok(o.metadata[FILE_ORDER_CRC_KEY] !== undefined && o.metadata[CRC_KEY] === undefined);
  assertSameTensors(o.tensors, tensors);
  const bad = Buffer.from(readFileSync(old));
  bad[bad.length - 30] ^= 0x01;
  writeFileSync(old, bad);
  assert.throws(() => readSafetensors(old), /tessera_crc32 is \d+, the data gives \d+/);
});

test('a corrupted data byte or a truncated re-saved file is still refused with the clear message', () => {
  const { path } = writeSample('src3.safetensors');
  const out = join(dir, 'moved.safetensors');
  python('rewrite', path, out);
  const good = readFileSync(out);
  for (const at of [good.length - 1, good.length - 40, good.length - 100]) {
    const flipped = Buffer.from(good);
    flipped[at] ^= 0x10;
    writeFileSync(out, flipped);
    assert.throws(
      () => readSafetensors(out),
      /moved\.safetensors: not a valid safetensors file: data checksum mismatch/,
    );
  }
  for (const cut of [5, 60, good.length - 1]) {
    writeFileSync(out, good.subarray(0, cut));
    assert.throws(
      () => readSafetensors(out),
      /moved\.safetensors: not a valid safetensors file: .*truncated or corrupted/,
    );
  }
  // structure is checked even with no checksum to lean on: a missing tail, or a tensor's bytes cut short
  const bare = join(dir, 'bare-trunc.safetensors');
  python('rewrite', path, bare, '--crc', 'none');
  const b = readFileSync(bare);
  writeFileSync(bare, b.subarray(0, b.length - 4));
  assert.throws(() => readSafetensors(bare), /data ends at byte \d+ but the data section has|tensors cover/);
});

test('the shipped weights re-saved by another tool in reversed order (metadata kept) load identically', () => {
  for (const file of [
    join(defaultModelDir(), 'weights.safetensors'),
    join(defaultModelDir(), 'image-tokenizer', 'weights.safetensors'),
  ]) {
    const ours = readSafetensors(file);
    assert.equal(ours.checksum, 'tensors', `${file} carries the order-independent checksum`);
    const out = join(dir, 'shipped-reversed.safetensors');
    python('rewrite', file, out, '--pad', '24');
    const back = readSafetensors(out);
    assert.equal(back.checksum, 'tensors');
    assert.deepEqual([...back.tensors.keys()].sort(), [...ours.tensors.keys()].sort());
    for (const [name, t] of ours.tensors) assert.deepEqual(back.tensors.get(name)!.data, t.data, name);
  }
});
