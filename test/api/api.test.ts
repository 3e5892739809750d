// The high-level API (src/api.ts) on the shipped model: every image input form reaches the model as the
// same pixels (RgbImage, PNG bytes, a file path; another square size box-filtered), bad input is refused
// at the image boundary, generate is generateImages (no second copy), and info reports the model's sizes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadTessera, Tessera, toPng } from '../../src/api.js';
import { decodePng, encodePng, ImageInputError, renderScene, upscale } from '../../src/data/index.js';
import { generateImages } from '../../src/infer/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-api-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tessera = loadTessera();
const scene = renderScene({
  background: 'white',
  objects: [{ shape: 'circle', color: 'red', size: 'large', cell: 0 }],
  sign: null,
  character: null,
});

test('every image input form gives the same model pixels', () => {
  const file = join(dir, 'scene.png');
  writeFileSync(file, encodePng(scene));
  assert.equal(tessera.image(scene), scene);
  assert.deepEqual(tessera.image(encodePng(scene)).data, scene.data);
  assert.deepEqual(tessera.image(file).data, scene.data);
  // a 2x nearest-neighbour upscale box-filters back to the same pixels
  assert.deepEqual(tessera.image(upscale(scene, 2)).data, scene.data);
  assert.deepEqual(tessera.image(encodePng(upscale(scene, 2))).data, scene.data);
});

test('bad image input is refused at the boundary', () => {
  assert.throws(() => tessera.image(join(dir, 'missing.png')), ImageInputError);
  assert.throws(() => tessera.image(new Uint8Array([1, 2, 3])), /PNG bytes: .*not a PNG/);
  assert.throws(
    () => tessera.image({ width: 4, height: 2, data: new Uint8Array(24) }),
    /4x2; the tokenizer needs a square/,
  );
  assert.throws(() => tessera.image({ width: 2, height: 2, data: new Uint8Array(5) }), /2x2 RGB needs 12 bytes, got 5/);
});

test('generate is generateImages on the same model', () => {
  const o = { n: 2, seed: 3 };
  const mine = tessera.generate('draw a large red circle at the top left, on a white background', o);
  const lib = generateImages(
    tessera.engine.model,
    tessera.engine.tok,
    'draw a large red circle at the top left, on a white background',
    o,
  );
  assert.deepEqual(mine, lib);
});

test('toPng scales by repeating pixels; info reports the model', () => {
  const png = decodePng(toPng(scene, 3));
  assert.deepEqual([png.width, png.height], [192, 192]);
  assert.throws(() => toPng(scene, 0), /scale must be an integer in 1\.\.64, got 0/);
  const info = tessera.info;
  assert.deepEqual([info.imageSize, info.grid, info.codebookSize], [64, 8, 2048]);
  assert.equal(info.parameters, tessera.engine.model.params.count());
  assert.ok(info.backend === 'js' || info.backend === 'native');
  assert.ok(Tessera.fromPretrained(info.dir).info.parameters === info.parameters);
});
