// Weights on disk: round trip, and refusal of truncated or corrupted files with a clear message.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSafetensors, writeSafetensors } from '../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-st-'));

function sample(path: string) {
  const tensors = new Map([
    ['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) }],
    ['codes', { shape: [4], data: Int32Array.from([7, -1, 0, 2 ** 30]) }],
    ['bytes', { shape: [3], data: Uint8Array.from([0, 128, 255]) }],
  ]);
  writeSafetensors(path, tensors, { format: 'tessera', version: '1' });
  return tensors;
}

test('round trip keeps names, shapes, dtypes, values and metadata', () => {
  const path = join(dir, 'ok.safetensors');
  const written = sample(path);
  const { tensors, metadata } = readSafetensors(path);
  assert.equal(metadata.format, 'tessera');
  for (const [name, t] of written) {
    const r = tensors.get(name)!;
    assert.deepEqual(r.shape, t.shape);
    assert.equal(r.data.constructor, t.data.constructor);
    assert.deepEqual(Array.from(r.data), Array.from(t.data));
  }
  // the header is the documented layout: u64 length, JSON, data
  const buf = readFileSync(path);
  const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString());
  assert.deepEqual(header['a.weight'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
});

test('a truncated file is refused with a hint', () => {
  const path = join(dir, 'trunc.safetensors');
  sample(path);
  const buf = readFileSync(path);
  for (const cut of [4, 20, buf.length - 3]) {
    writeFileSync(path, buf.subarray(0, cut));
    assert.throws(() => readSafetensors(path), /not a valid safetensors file.*HINT/);
  }
});

test('a flipped data byte fails the checksum; a garbled header is refused', () => {
  const path = join(dir, 'flip.safetensors');
  sample(path);
  const buf = Buffer.from(readFileSync(path));
  buf[buf.length - 5] ^= 0xff;
  writeFileSync(path, buf);
  assert.throws(() => readSafetensors(path), /checksum mismatch/);
  sample(path);
  const buf2 = Buffer.from(readFileSync(path));
  buf2[8] = 0x78; // 'x' where the header's opening brace was
  writeFileSync(path, buf2);
  assert.throws(() => readSafetensors(path), /header is not JSON/);
});

test('a missing file names the path', () => {
  assert.throws(() => readSafetensors(join(dir, 'nope.safetensors')), /nope\.safetensors: cannot read/);
});
