// The one nearest-neighbour upscale (src/data/png.ts), used by the CLI's --scale, the server's sizes and
// the viewing copies: each pixel becomes a k x k block, 1 is the image itself, bad factors are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePng, encodePngAt, type RgbImage, upscale } from '../../src/data/index.js';
import { pngAt } from '../../src/serve/images.js';

const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([10, 20, 30, 40, 50, 60]) };

test('each pixel becomes a k x k block', () => {
  const up = upscale(img, 2);
  assert.equal(up.width, 4);
  assert.equal(up.height, 2);
  const row = [10, 20, 30, 10, 20, 30, 40, 50, 60, 40, 50, 60];
  assert.deepEqual([...up.data], [...row, ...row]);
  assert.equal(upscale(img, 1), img);
  assert.throws(() => upscale(img, 0), /positive integer, got 0/);
  assert.throws(() => upscale(img, 1.5), /positive integer, got 1\.5/);
});

test('the server serves the same bytes as the shared PNG helper', () => {
  const png = encodePngAt(img, 4);
  assert.deepEqual(pngAt(img, 4), png);
  const back = decodePng(png);
  assert.equal(back.width, 8);
  assert.equal(back.height, 4);
});
