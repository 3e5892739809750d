// The VQ-VAE image tokenizer: config validation, encode/decode shapes and code ranges, a tiny-preset
// learning gate on every backend, checkpoint round trip, refusal of damaged files, and the CLI's input checks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encodePng, renderScene, sampleScene } from '../../src/data/index.js';
import { kernels, Rng, useKernels } from '../../src/tensor/index.js';
import {
  codeUsage,
  downsample,
  makeVqvaeConfig,
  parseCodesJson,
  psnr,
  readImageFile,
  trainVqvae,
  Vqvae,
} from '../../src/tokenizers/index.js';
import { backends } from '../helpers/backends.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-vq-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tinyImages(n: number, seed: number): Uint8Array[] {
  const rng = Rng.world(seed);
  return Array.from({ length: n }, () => downsample(renderScene(sampleScene(rng, 'train')).data, 64, 16));
}

const meanPsnr = (m: Vqvae, imgs: Uint8Array[]) => {
  const r = m.decode(m.encode(imgs));
  return imgs.reduce((s, x, i) => s + psnr(x, r[i]), 0) / imgs.length;
};

describe('vqvae config', () => {
  test('presets are frozen; unknown keys and bad values are rejected naming them', () => {
    const c = makeVqvaeConfig({}, 'tiny');
    assert.ok(Object.isFrozen(c));
    assert.throws(() => makeVqvaeConfig({ codebookSise: 512 }), /unknown key codebookSise/);
    assert.throws(() => makeVqvaeConfig({ codeDim: 0.5 }), /codeDim must be an integer/);
    assert.throws(() => makeVqvaeConfig({ arch: 'mlp' }), /arch must be "patch" or "conv"/);
    assert.throws(() => makeVqvaeConfig({ imageSize: 20 }), /not divisible by 2\^downsamples = 8/);
    assert.throws(() => makeVqvaeConfig({}, 'huge'), /unknown preset "huge"/);
  });
});

describe('vqvae encode/decode', () => {
  for (const arch of ['patch', 'conv'] as const)
    test(`${arch}: shapes, code range, determinism`, () => {
      const m = new Vqvae(makeVqvaeConfig({ arch }, 'tiny'), 1);
      const imgs = tinyImages(3, 1);
      const codes = m.encode(imgs);
      assert.equal(codes.length, 3);
      for (const c of codes) {
        assert.equal(c.length, m.grid * m.grid);
        assert.ok(c.every((v) => v >= 0 && v < m.codebookSize));
      }
      assert.deepEqual(m.encode(imgs), codes);
      const out = m.decode(codes);
      assert.equal(out.length, 3);
      assert.ok(out.every((o) => o.length === 16 * 16 * 3));
      assert.throws(() => m.decode([new Int32Array(3)]), /3 codes, expected 2x2 = 4/);
      assert.throws(() => m.decode([Int32Array.from([0, 1, 2, 99])]), /code 99 at position 3 is outside 0..15/);
      assert.throws(() => m.encode([new Uint8Array(10)]), /10 bytes, expected 16x16x3/);
    });

  test('codebook usage: used codes and perplexity', () => {
    const u = codeUsage([Int32Array.from([0, 0, 1, 1])], 4);
    assert.equal(u.used, 2);
    assert.ok(Math.abs(u.perplexity - 2) < 1e-9);
  });
});

describe('vqvae learning gate (tiny preset)', () => {
  for (const b of backends())
    test(`${b.name}: reconstruction of a few images improves over init`, () => {
      const prev = kernels();
      useKernels(b.kernels);
      try {
        const imgs = tinyImages(4, 3);
        const m = new Vqvae(makeVqvaeConfig({}, 'tiny'), 2);
        const before = meanPsnr(m, imgs);
        let i = 0;
        const source = { batch: (n: number) => Array.from({ length: n }, () => imgs[i++ % imgs.length]) };
        const logs: number[] = [];
        trainVqvae(m, { steps: 150, batch: 4, lr: 3e-3, source, logEvery: 50, onLog: (l) => logs.push(l.recon) });
        const afterP = meanPsnr(m, imgs);
        assert.ok(logs[logs.length - 1] < logs[0], `loss fell: ${logs.map((x) => x.toFixed(3)).join(' -> ')}`);
        assert.ok(afterP > before + 3, `PSNR ${before.toFixed(2)} -> ${afterP.toFixed(2)} dB`);
      } finally {
        useKernels(prev);
      }
    });
});

describe('vqvae checkpoint', () => {
  test('round trip gives identical codes and images; damaged files are refused with a hint', () => {
    const m = new Vqvae(makeVqvaeConfig({}, 'tiny'), 5);
    const ck = join(dir, 'tok');
    m.save(ck);
    const back = Vqvae.load(ck);
    const imgs = tinyImages(2, 7);
    assert.deepEqual(back.encode(imgs), m.encode(imgs));
    assert.deepEqual(back.decode(m.encode(imgs)), m.decode(m.encode(imgs)));
    assert.deepEqual(back.config, m.config);
    // truncated weights
    writeFileSync(join(ck, 'weights.safetensors'), 'garbage');
    assert.throws(() => Vqvae.load(ck), /weights\.safetensors: not a valid safetensors file.*HINT/);
    // bad config
    m.save(ck);
    writeFileSync(
      join(ck, 'config.json'),
      JSON.stringify({ format: 'tessera-checkpoint', version: 1, kind: 'vqvae', config: { ...m.config, extra: 1 } }),
    );
    assert.throws(() => Vqvae.load(ck), /config\.json: vqvae config: unknown key extra/);
    writeFileSync(
      join(ck, 'config.json'),
      JSON.stringify({ format: 'tessera-checkpoint', version: 1, kind: 'gpt', config: {} }),
    );
    assert.throws(() => Vqvae.load(ck), /holds a "gpt" model, expected "vqvae"/);
    assert.throws(() => Vqvae.load(join(dir, 'nothing')), /config\.json not found.*HINT/);
  });
});

describe('image tokenizer input files', () => {
  test('PNG checks: not a PNG, non-square refused, other square sizes box-filtered', () => {
    const notPng = join(dir, 'x.png');
    writeFileSync(notPng, 'hello');
    assert.throws(() => readImageFile(notPng, 64), /not a PNG image/);
    const rect = join(dir, 'rect.png');
    writeFileSync(rect, encodePng({ width: 8, height: 4, data: new Uint8Array(8 * 4 * 3) }));
    assert.throws(() => readImageFile(rect, 64), /image is 8x4; the tokenizer needs a square image/);
    const big = join(dir, 'big.png');
    const img = renderScene(sampleScene(Rng.world(1), 'train'));
    writeFileSync(big, encodePng(img));
    const r = readImageFile(big, 16);
    assert.match(r.note ?? '', /resized 64x64 to 16x16 with a box filter/);
    assert.deepEqual(r.pixels, downsample(img.data, 64, 16));
    assert.equal(readImageFile(big, 64).note, null);
  });

  test('code JSON checks: count and range named', () => {
    assert.deepEqual(parseCodesJson('{"codes": [[1, 2], [3, 0]]}', 2, 4), Int32Array.from([1, 2, 3, 0]));
    assert.deepEqual(parseCodesJson('[1, 2, 3, 0]', 2, 4), Int32Array.from([1, 2, 3, 0]));
    assert.throws(() => parseCodesJson('[1, 2, 3]', 2, 4, 'c.json'), /c\.json: 3 codes, the tokenizer needs 4/);
    assert.throws(() => parseCodesJson('[1, 2, 3, 4]', 2, 4, 'c.json'), /code 4 at position 3 \(row 1, column 1\)/);
    assert.throws(() => parseCodesJson('[1, 2, 3, "a"]', 2, 4), /code "a" at position 3/);
    assert.throws(() => parseCodesJson('{nope', 2, 4, 'c.json'), /c\.json: not valid JSON/);
    assert.throws(() => parseCodesJson('{"x": 1}', 2, 4), /expected \{"codes": \[\.\.\.\]\}/);
  });
});
