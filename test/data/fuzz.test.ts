// Property-based fuzzing (fast-check, seeded) of every loader at a file boundary: random mutations of valid
// files (bytes changed, inserted, cut; JSON values replaced) never crash, hang or grow memory without
// bound, and every rejection is the boundary's typed error: ImageInputError for PNGs, SessionFileError
// for session files, problems (never an exception) for manifests, CheckpointError for checkpoints.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { decodePng, encodePng, ImageInputError, makeWorldItem, validateManifest } from '../../src/data/index.js';
import { readSessionFile, Session, SessionFileError } from '../../src/infer/index.js';
import { loadModel } from '../../src/model/index.js';
import { CheckpointError } from '../../src/tensor/index.js';
import { runTraining, trainConfig } from '../../src/train/index.js';
import { rgbaPng } from '../helpers/png.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const params = { seed: 20261201, numRuns: 200 };

/** A byte-level mutation: set bytes, insert bytes, or cut the file. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), bytes: fc.constant(new Uint8Array(0)) }),
);
type Mutation = { kind: 'set' | 'insert' | 'cut'; at: number; bytes: Uint8Array };

function mutate(buf: Uint8Array, ms: Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'set') for (let i = 0; i < m.bytes.length && at + i < b.length; i++) b[at + i] = m.bytes[i];
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else b = b.subarray(0, at);
  }
  return b;
}

const rssMb = () => process.memoryUsage().rss / 2 ** 20;

test('fuzz: the PNG reader decodes or refuses with ImageInputError', () => {
  const valid = [rgbaPng(8, 8), encodePng(makeWorldItem('t2i', 'train', 1, 0).segments[1].image!.pixels)];
  const start = rssMb();
  fc.assert(
    fc.property(fc.constantFrom(...valid), fc.array(mutation, { minLength: 1, maxLength: 4 }), (png, ms) => {
      const buf = mutate(png, ms);
      try {
        const img = decodePng(buf, 'fuzz.png');
        assert.ok(img.width * img.height <= 4096 * 4096);
        assert.equal(img.data.length, img.width * img.height * 4);
      } catch (e) {
        if (!(e instanceof ImageInputError)) throw e;
      }
    }),
    params,
  );
  assert.ok(rssMb() - start < 300, `RSS grew ${(rssMb() - start).toFixed(0)} MB`);
});

test('fuzz: the session loader restores or refuses with SessionFileError', () => {
  const s = new Session('fuzz', 1);
  const img = makeWorldItem('edit', 'train', 2, 0).segments[0].image!.pixels;
  s.record({ text: 'make the circle red', image: img }, [
    { kind: 'image', image: img, codes: new Int32Array(64).fill(3) },
    { kind: 'text', text: 'done' },
  ]);
  const json = s.toJSON();
  const text = Buffer.from(JSON.stringify(json));
  const file = join(dir, 'session.json');
  const shape = { imageSize: 64, grid: 8, codebookSize: 2048 };
  const accept = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof SessionFileError)) throw e;
    }
  };
  // bytes of the file
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      writeFileSync(file, mutate(text, ms));
      accept(() => readSessionFile(file, shape));
    }),
    { ...params, numRuns: 150 },
  );
  // values of the JSON: any field replaced by any JSON value
  const paths: string[][] = [];
  const walk = (v: unknown, p: string[]) => {
    paths.push(p);
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(json, []);
  fc.assert(
    fc.property(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.jsonValue({ maxDepth: 2 }), (p, v) => {
      const j = structuredClone(json) as unknown as Record<string, unknown>;
      let at: Record<string, unknown> = j;
      for (const k of p.slice(0, -1)) at = at[k] as Record<string, unknown>;
      at[p[p.length - 1]] = v;
      accept(() => Session.fromJSON(j, 'fuzz.json', shape));
    }),
    { ...params, numRuns: 300 },
  );
});

test('fuzz: the manifest loader reports problems and never throws', () => {
  const good = join(dir, 'good.png');
  writeFileSync(good, rgbaPng(64, 64));
  const path = join(dir, 'manifest.jsonl');
  const line = fc.oneof(
    fc.string(),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc
      .record({
        image: fc.constantFrom('good.png', '../good.png', '/etc/passwd', 'missing.png', ''),
        caption: fc.oneof(fc.string(), fc.integer()),
        split: fc.constantFrom('train', 'heldout', 'other'),
      })
      .map((o) => JSON.stringify(o)),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
      writeFileSync(path, lines.join('\n'));
      const r = validateManifest(path);
      if (!r.ok) for (const p of r.problems) assert.equal(typeof p.message, 'string');
    }),
    { ...params, numRuns: 150 },
  );
});

test('fuzz: the checkpoint loader loads or refuses with CheckpointError', () => {
  const out = join(dir, 'run');
  const config = trainConfig({ steps: 1, ckptEvery: 1, batchSize: 1, evalN: 0, mixture: { caption: 1 } }, 'tiny');
  runTraining({ out, config, quiet: true });
  const ckpt = join(out, 'checkpoint');
  const work = join(dir, 'ckpt');
  cpSync(ckpt, work, { recursive: true });
  const files = ['weights.safetensors', 'config.json', 'optimizer.safetensors'];
  const original = new Map(files.map((f) => [f, readFileSync(join(ckpt, f))]));
  fc.assert(
    fc.property(fc.constantFrom(...files), fc.array(mutation, { minLength: 1, maxLength: 3 }), (f, ms) => {
      for (const g of files) copyFileSync(join(ckpt, g), join(work, g));
      writeFileSync(join(work, f), mutate(original.get(f)!, ms));
      try {
        loadModel(work);
      } catch (e) {
        if (!(e instanceof CheckpointError)) throw e;
      }
    }),
    { ...params, numRuns: 120 },
  );
});
