// Token cache: write/read round trip (uint16 and uint32, with and without masks), seeded shuffled padded
// batches, and refusal of truncated or corrupted files.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { crc32, TokenCacheError, TokenCacheReader, TokenCacheWriter } from '../../src/data/token-cache.js';
import { rng } from '../tokenizers/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sequences(n: number, vocab: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: Math.floor(r() * 20) }, () => Math.floor(r() * vocab)));
}

function write(name: string, vocab: number, seqs: number[][], masks?: (number[] | undefined)[]): string {
  const path = join(dir, name);
  const w = new TokenCacheWriter(path, vocab);
  seqs.forEach((s, i) => {
    w.append(s, masks?.[i]);
  });
  const info = w.finish();
  assert.equal(info.sequences, seqs.length);
  return path;
}

function refused(path: string, re: RegExp): void {
  assert.throws(
    () => TokenCacheReader.open(path),
    (e: unknown) => e instanceof TokenCacheError && re.test(e.message) && e.message.includes('TokenCacheWriter'),
  );
}

describe('token cache', () => {
  test('crc32 matches the standard check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  test('round trip with uint16 ids, masks on some sequences', () => {
    const seqs = sequences(50, 1000, 1);
    const masks = seqs.map((s, i) => (i % 3 === 0 ? s.map((_, j) => j % 2) : undefined));
    const r = TokenCacheReader.open(write('a.bin', 1000, seqs, masks));
    assert.equal(r.length, 50);
    assert.equal(r.vocabSize, 1000);
    assert.equal(r.hasMask, true);
    assert.equal(r.totalTokens, seqs.flat().length);
    seqs.forEach((s, i) => {
      const got = r.get(i);
      assert.deepEqual(Array.from(got.ids), s);
      assert.deepEqual(Array.from(got.mask!), masks[i] ?? s.map(() => 1));
    });
    assert.throws(() => r.get(50), /sequence 50 is outside 0\.\.49/);
  });

  test('round trip with uint32 ids (vocab > 65536), no masks', () => {
    const seqs = sequences(20, 200_000, 2);
    const path = write('b.bin', 200_000, seqs);
    const r = TokenCacheReader.open(path);
    assert.equal(readFileSync(path).readUInt32LE(8), 4);
    assert.equal(r.hasMask, false);
    seqs.forEach((s, i) => {
      assert.deepEqual(Array.from(r.get(i).ids), s);
      assert.equal(r.get(i).mask, undefined);
    });
  });

  test('writer rejects bad ids and mask lengths', () => {
    const w = new TokenCacheWriter(join(dir, 'x.bin'), 10);
    assert.throws(() => w.append([1, 10]), /sequence 0, position 1: token id 10 is outside 0\.\.9/);
    assert.throws(() => w.append([1, 2], [1]), /mask has 1 entries but there are 2 ids/);
  });

  test('batches are padded (B, T), masked, and shuffled deterministically per seed', () => {
    const seqs = sequences(23, 500, 3);
    const masks = seqs.map((s, i) => (i === 5 ? s.map(() => 0) : undefined));
    const r = TokenCacheReader.open(write('c.bin', 500, seqs, masks));
    const opts = { batchSize: 4, seqLen: 8, padId: 499, seed: 42 };
    const run = (o: typeof opts & { epoch?: number }) => [...r.batches(o)];
    const a = run(opts);
    const b = run(opts);
    const c = run({ ...opts, seed: 43 });
    assert.equal(a.length, 6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(
      a.flatMap((x) => x.indices),
      c.flatMap((x) => x.indices),
    );
    assert.notDeepEqual(
      a.flatMap((x) => x.indices),
      run({ ...opts, epoch: 1 }).flatMap((x) => x.indices),
    );
    assert.deepEqual(
      a.flatMap((x) => x.indices).sort((x, y) => x - y),
      seqs.map((_, i) => i),
    );
    assert.equal(a[5].rows, 3);
    for (const batch of a) {
      assert.equal(batch.ids.length, 4 * 8);
      for (let row = 0; row < batch.rows; row++) {
        const s = seqs[batch.indices[row]];
        const len = Math.min(8, s.length);
        assert.equal(batch.lengths[row], len);
        for (let t = 0; t < 8; t++) {
          assert.equal(batch.ids[row * 8 + t], t < len ? s[t] : 499);
          const want = t < len && batch.indices[row] !== 5 ? 1 : 0;
          assert.equal(batch.mask[row * 8 + t], want);
        }
      }
      for (let k = batch.rows * 8; k < 32; k++) assert.equal(batch.mask[k], 0);
    }
    assert.equal(run({ ...opts, dropLast: true } as typeof opts).length, 5);
    const ordered = [...r.batches({ ...opts, shuffle: false })].flatMap((x) => x.indices);
    assert.deepEqual(
      ordered,
      seqs.map((_, i) => i),
    );
  });

  test('refuses truncated, corrupted, wrong-magic and wrong-version files', () => {
    const path = write('d.bin', 1000, sequences(30, 1000, 4));
    const good = readFileSync(path);
    const bad = (name: string, bytes: Uint8Array): string => {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return p;
    };
    refused(
      bad('short.bin', good.subarray(0, good.length - 3)),
      /d?short\.bin: is \d+ bytes but .* needs \d+ \(truncated\)/,
    );
    refused(bad('tiny.bin', good.subarray(0, 10)), /shorter than the 40-byte header/);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 5] ^= 0x40;
    refused(bad('flip.bin', flipped), /data checksum does not match/);
    const magic = Buffer.from(good);
    magic.write('NOPE', 0);
    refused(bad('magic.bin', magic), /starts with "NOPE", not "TSRA"/);
    const ver = Buffer.from(good);
    ver.writeUInt32LE(7, 4);
    refused(bad('ver.bin', ver), /is version 7, this build reads version 1/);
    const hdr = Buffer.from(good);
    hdr.writeUInt32LE(31, 16);
    refused(bad('hdr.bin', hdr), /header checksum does not match/);
    refused(join(dir, 'missing.bin'), /cannot be read \(ENOENT\)/);
  });
});
