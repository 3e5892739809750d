// The one model loader from bytes in memory (what the web studio fetches): the shipped model loads to
// the same weights as from its folder, and damaged files are refused with the same CheckpointError
// messages, naming the URL the files came from.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { defaultModelDir, loadModel, MODEL_FILES, modelFromFiles } from '../../src/model/index.js';
import { CheckpointError, crc32, folderFiles } from '../../src/tensor/index.js';

const URL_BASE = 'http://127.0.0.1/studio/model/tessera-default/';

/** The shipped model's files as a browser would have fetched them (absent ones left out). */
function shippedFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const src = folderFiles(defaultModelDir());
  for (const name of MODEL_FILES) {
    const bytes = src.read(name);
    if (bytes) files.set(name, new Uint8Array(bytes));
  }
  return files;
}

test('the shipped model loads from bytes in memory to the same weights as from its folder', () => {
  const fromDir = loadModel(defaultModelDir());
  const fromBytes = modelFromFiles(shippedFiles(), URL_BASE);
  assert.deepEqual(fromBytes.model.config, fromDir.model.config);
  for (const [name, t] of fromDir.model.params.map)
    assert.deepEqual(fromBytes.model.params.map.get(name)?.data, t.data, name);
  assert.equal(fromBytes.tok.text.vocabSize, fromDir.tok.text.vocabSize);
  assert.equal(fromBytes.tok.image.codebookSize, fromDir.tok.image.codebookSize);
});

test('damaged or missing files in memory are refused with the loader messages, naming the URL', () => {
  const truncated = shippedFiles();
  const w = truncated.get('weights.safetensors')!;
  truncated.set('weights.safetensors', w.subarray(0, w.length - 4));
  assert.throws(
    () => modelFromFiles(truncated, URL_BASE),
    (e: unknown) =>
      e instanceof CheckpointError &&
      e.message.includes(`${URL_BASE}weights.safetensors`) &&
      /not a valid safetensors file|describes a model of at least/.test(e.message),
  );
  const flipped = shippedFiles();
  const v = new Uint8Array(flipped.get('image-tokenizer/weights.safetensors')!);
  v[v.length - 1] ^= 1;
  flipped.set('image-tokenizer/weights.safetensors', v);
  assert.throws(() => modelFromFiles(flipped, URL_BASE), /image-tokenizer\/weights\.safetensors: .*checksum mismatch/);
  const noImage = shippedFiles();
  for (const k of [...noImage.keys()]) if (k.startsWith('image-tokenizer/')) noImage.delete(k);
  assert.throws(() => modelFromFiles(noImage, URL_BASE), /image-tokenizer\/ not found/);
  const noText = shippedFiles();
  noText.delete('tokenizer.json');
  assert.throws(() => modelFromFiles(noText, URL_BASE), /tokenizer\.json not found/);
});

test('the TypeScript CRC-32 agrees with zlib', () => {
  const bytes = readFileSync(join(defaultModelDir(), 'tokenizer.json'));
  assert.equal(crc32(bytes), zlibCrc32(bytes) >>> 0);
  assert.equal(crc32(bytes.subarray(100), crc32(bytes.subarray(0, 100))), crc32(bytes));
  assert.equal(crc32(new Uint8Array(0)), 0);
});
