// The image-input boundary (src/data/png.ts): PNG bombs refused from the header with memory staying small
// (measured in child processes, through the CLI and the library), incomplete pixel data, damaged chunks,
// oversized files, manifests and `data check` on a bomb; every refusal is an ImageInputError.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkPng, decodePng, ImageInputError, loadManifest, validateManifest } from '../../src/data/index.js';
import { bombPng, chunk, ihdr, rgbaPng, SIGNATURE } from '../helpers/png.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-png-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../../src/cli/index.js', import.meta.url));
const dataIndex = fileURLToPath(new URL('../../src/data/index.js', import.meta.url));

/** Peak RSS (MB) of a child that decodes `file` at the boundary, and what it printed. */
function decodeInChild(file: string): { peakMb: number; out: string } {
  const code = `import(${JSON.stringify(dataIndex)}).then((m) => {
    let msg = 'decoded';
    try { m.readPngRgba(${JSON.stringify(file)}); } catch (e) { msg = e.name + ': ' + e.message; }
    console.log(JSON.stringify({ peakMb: process.resourceUsage().maxRSS / 1024, out: msg }));
  });`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as { peakMb: number; out: string };
}

test('PNG bombs are refused from the header; memory stays small', () => {
  const baseline = decodeInChild(join(dir, 'missing.png')).peakMb; // node itself, no image
  for (const [w, h] of [
    [31000, 31000],
    [20000, 20000],
    [8000, 8000],
    [65535, 65535], // a "4 GiB" header
  ]) {
    const f = join(dir, `bomb-${w}.png`);
    writeFileSync(f, bombPng(w, h));
    const r = decodeInChild(f);
    assert.match(r.out, new RegExp(`ImageInputError: .*declares ${w}x${h}.*limit: \\d+ pixels`));
    assert.ok(r.peakMb < baseline + 20, `${w}x${h}: peak ${r.peakMb.toFixed(0)} MB vs ${baseline.toFixed(0)} MB bare`);
  }
});

test('tessera encode on a bomb exits with the clear refusal, quickly and small', () => {
  const f = join(dir, 'b.png');
  writeFileSync(f, bombPng(31000, 31000));
  const r = spawnSync(process.execPath, [cli, 'encode', f], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /b\.png: declares 31000x31000 = 961000000 pixels \(limit: 16777216 pixels, TESSERA_MAX_IMAGE_PIXELS\)/,
  );
});

test('a bomb whose data inflates past its header, and missing rows, are refused', () => {
  // header says 64x64, data holds 10 rows: the rest would silently be zeros
  assert.throws(
    () => decodePng(rgbaPng(64, 64, 10), 'short.png'),
    (e: unknown) => e instanceof ImageInputError && /incomplete: 2570 of the 16448 bytes.*rows missing/.test(e.message),
  );
  // more rows than the header: inflation stops at the cap
  assert.throws(() => decodePng(rgbaPng(64, 64, 2000), 'long.png'), /inflates to more than the 16448 bytes/);
  // and the complete image decodes
  const ok = decodePng(rgbaPng(64, 64), 'ok.png');
  assert.equal(ok.width, 64);
  assert.equal(ok.data[0], 128);
});

test('damaged structure: signature, truncation, CRC, header fields, no pixel data', () => {
  const good = rgbaPng(8, 8);
  const cases: [string, Buffer, RegExp][] = [
    ['text.png', Buffer.from('hello, not a png'), /not a PNG image \(bad signature\)/],
    ['cut.png', good.subarray(0, good.length - 20), /truncated/],
    [
      'crc.png',
      Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(8, 8).subarray(8, 21), true), good.subarray(33)]),
      /damaged "IHDR" chunk \(CRC mismatch\)/,
    ],
    [
      'depth.png',
      Buffer.concat([SIGNATURE, ihdr(8, 8, 7, 6), good.subarray(33)]),
      /unsupported colour type 6 with bit depth 7/,
    ],
    ['zero.png', Buffer.concat([SIGNATURE, ihdr(0, 8), good.subarray(33)]), /declares 0x8 pixels/],
    ['noidat.png', Buffer.concat([SIGNATURE, ihdr(8, 8), chunk('IEND', new Uint8Array(0))]), /no pixel data/],
    [
      'zlib.png',
      Buffer.concat([SIGNATURE, ihdr(8, 8), chunk('IDAT', Buffer.from('garbage!')), chunk('IEND', new Uint8Array(0))]),
      /compressed pixel data is damaged or truncated/,
    ],
  ];
  for (const [name, buf, re] of cases)
    assert.throws(
      () => decodePng(buf, name),
      (e: unknown) => e instanceof ImageInputError && e.source === name && re.test(e.message),
      name,
    );
});

test('the file-size limit is checked before reading, and limits can be set', () => {
  const f = join(dir, 'ok8.png');
  writeFileSync(f, rgbaPng(8, 8));
  assert.throws(() => checkPng(rgbaPng(8, 8), 'x', { maxBytes: 50 }), /file is \d+ bytes \(limit: 50 bytes/);
  assert.throws(() => checkPng(rgbaPng(8, 8), 'x', { maxPixels: 63 }), /declares 8x8 = 64 pixels \(limit: 63 pixels/);
  const r = spawnSync(process.execPath, [cli, 'encode', f], {
    encoding: 'utf8',
    env: { ...process.env, TESSERA_MAX_IMAGE_BYTES: '40' },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ok8\.png: file is \d+ bytes \(limit: 40 bytes, TESSERA_MAX_IMAGE_BYTES\)/);
});

test('manifests: a bomb, missing rows and paths outside the folder are reported by data check', () => {
  const m = join(dir, 'm');
  mkdirSync(m);
  writeFileSync(join(m, 'bomb.png'), bombPng(31000, 31000));
  writeFileSync(join(m, 'short.png'), rgbaPng(64, 64, 10));
  writeFileSync(join(m, 'ok.png'), rgbaPng(64, 64));
  writeFileSync(join(dir, 'outside.png'), rgbaPng(64, 64));
  const lines = [
    { image: 'bomb.png', caption: 'a bomb' },
    { image: 'short.png', caption: 'ten rows' },
    { image: '../outside.png', caption: 'not ours' },
    { image: join(dir, 'outside.png'), caption: 'absolute' },
    { image: 'ok.png', caption: 'x'.repeat(3000) },
  ];
  const path = join(m, 'manifest.jsonl');
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n'));
  const v = validateManifest(path);
  assert.equal(v.ok, false);
  const msgs = v.ok ? [] : v.problems.map((p) => `${p.line} ${p.field}: ${p.message}`);
  assert.match(msgs[0], /^1 image: .*declares 31000x31000/);
  assert.match(msgs[1], /^2 image: .*incomplete/);
  assert.match(msgs[2], /^3 image: \.\.\/outside\.png is outside the manifest's folder/);
  assert.match(msgs[3], /^4 image: .* is outside the manifest's folder/);
  assert.match(msgs[4], /^5 caption: 3000 characters \(limit 2000\)/);
  assert.equal(loadManifest(path).ok, false);
  const r = spawnSync(process.execPath, [cli, 'data', 'check', path], { encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /declares 31000x31000/);
});
