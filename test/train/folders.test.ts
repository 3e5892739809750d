// Nothing lost, nothing unbounded at the training and checkpoint boundaries: a finished run is not
// replaced unasked, a second writer is refused (and a dead one's lock recovered), export never writes onto
// its source, resume without a checkpoint and damaged state say what to do, leftover temp folders go,
// NaN weights and configs that would allocate without bound are refused before anything is built.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { termSafe } from '../../src/cli/terminal.js';
import { defaultModelDir, loadModel } from '../../src/model/index.js';
import {
  CheckpointError,
  FolderLockedError,
  LOCK_FILE,
  lockFolder,
  readSafetensors,
  writeSafetensors,
} from '../../src/tensor/index.js';
import { RunFolderError, runTraining, trainConfig } from '../../src/train/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-folders-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../../src/cli/index.js', import.meta.url));
const folderLockJs = fileURLToPath(new URL('../../src/tensor/folder-lock.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
const config = trainConfig({ steps: 2, ckptEvery: 2, batchSize: 2, evalN: 0, mixture: { caption: 1, t2i: 1 } }, 'tiny');

test('a finished run is not replaced unasked; --force replaces it; resume needs a checkpoint', () => {
  const out = join(dir, 'run');
  runTraining({ out, config, quiet: true });
  const before = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  assert.throws(
    () => runTraining({ out, config, quiet: true }),
    (e: unknown) => e instanceof RunFolderError && /already holds a training run.*--resume.*--force/.test(e.message),
  );
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), before, 'the refused run wrote nothing');
  runTraining({ out, config, quiet: true, force: true });
  // a run killed before its first checkpoint: metrics but no checkpoint
  const early = join(dir, 'early');
  mkdirSync(early);
  writeFileSync(join(early, 'metrics.jsonl'), '{"type":"step","step":1}\n');
  assert.throws(
    () => runTraining({ out: early, resume: early, quiet: true }),
    /has no checkpoint to resume \(the run stopped before its first checkpoint\); HINT: start it again without --resume/,
  );
  // the shipped model is an export (weights and tokenizers, no training state): the CLI says to fine-tune it
  const r = run('train', '--resume', defaultModelDir());
  assert.equal(r.status, 1);
  assert.match(r.stderr, /is a model folder .*not a training run; HINT: fine-tune it instead: tessera train --init /);
});

test("a second writer is refused while the first lives; a dead writer's lock is recovered", async () => {
  const out = join(dir, 'locked');
  // another process takes the folder and keeps it until its stdin closes
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `import(${JSON.stringify(folderLockJs)}).then((m) => { m.lockFolder(${JSON.stringify(out)}, 'train'); console.log('held'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); });`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await new Promise<void>((res) => holder.stdout.once('data', () => res()));
  try {
    assert.throws(
      () => runTraining({ out, config, quiet: true }),
      (e: unknown) =>
        e instanceof FolderLockedError && new RegExp(`in use by process ${holder.pid} \\(train`).test(e.message),
    );
    const r = run('train', '--config', 'tiny', '--steps', '1', '--out', out);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is in use by process \d+/);
    assert.ok(!existsSync(join(out, 'metrics.jsonl')), 'the refused run wrote nothing');
  } finally {
    holder.stdin.end();
    await new Promise((res) => holder.once('exit', res));
  }
  // the holder is gone: its lock is released, and a stale lock of a dead pid is recovered
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  writeFileSync(
    join(out, LOCK_FILE),
    JSON.stringify({
      pid: Number(dead.stdout),
      host: (await import('node:os')).hostname(),
      command: 'train',
      since: 'x',
    }),
  );
  const lock = lockFolder(out);
  lock.release();
  assert.ok(!existsSync(join(out, LOCK_FILE)));
});

test('export never writes onto its source; leftover temp folders are removed at the start of a run', () => {
  const out = join(dir, 'exp');
  runTraining({ out, config, quiet: true });
  const ckpt = join(out, 'checkpoint');
  for (const to of [ckpt, join(ckpt, 'inner'), out]) {
    const r = run('export', ckpt, to);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /export: .* (is the checkpoint itself|inside or around it)/);
  }
  assert.ok(existsSync(join(ckpt, 'optimizer.safetensors')), 'the run can still resume');
  assert.ok(existsSync(join(ckpt, 'state.json')));
  // a save killed mid-way leaves .checkpoint.tmp-PID; a later run on the folder removes it
  const deadPid = Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout);
  mkdirSync(join(out, `.checkpoint.tmp-${deadPid}`));
  runTraining({ out, resume: out, quiet: true });
  assert.ok(!existsSync(join(out, `.checkpoint.tmp-${deadPid}`)));
});

test('damaged training state and NaN weights are refused naming the file and what to do', () => {
  const out = join(dir, 'dmg');
  runTraining({ out, config, quiet: true });
  const ckpt = join(out, 'checkpoint');
  writeFileSync(join(ckpt, 'state.json'), '{"step": 3, "mix\u0001');
  assert.throws(
    () => runTraining({ out, resume: out, quiet: true }),
    (e: unknown) => e instanceof CheckpointError && /state\.json: not valid JSON.*HINT/.test(e.message),
  );
  writeFileSync(join(ckpt, 'state.json'), '[]');
  assert.throws(() => runTraining({ out, resume: out, quiet: true }), /state\.json: not a JSON object/);
  const w = readSafetensors(join(ckpt, 'weights.safetensors'));
  (w.tensors.get('wte')!.data as Float32Array)[5] = Number.NaN;
  writeSafetensors(join(ckpt, 'weights.safetensors'), w.tensors, w.metadata);
  assert.throws(
    () => loadModel(ckpt),
    (e: unknown) => e instanceof CheckpointError && /wte\[5\] is NaN \(weights must be finite\)/.test(e.message),
  );
});

test('configs that would allocate without bound are refused before anything is built', () => {
  const model = join(dir, 'model');
  cpSync(defaultModelDir(), model, { recursive: true });
  const cfgPath = join(model, 'config.json');
  const original = readFileSync(cfgPath, 'utf8');
  const edit = (f: (c: Record<string, number>) => void) => {
    const j = JSON.parse(original);
    f(j.config);
    writeFileSync(cfgPath, JSON.stringify(j));
  };
  edit((c) => {
    c.nLayer = 40;
    c.nEmbd = 2048;
  });
  // in a child: refused at once, without growing (the shipped model has tile edges: 2 x 2048 x 112 of it)
  const code = `import(${JSON.stringify(fileURLToPath(new URL('../../src/model/checkpoint.js', import.meta.url)))}).then((m) => {
    let msg = 'loaded'; try { m.loadModel(${JSON.stringify(model)}); } catch (e) { msg = e.name + ': ' + e.message; }
    console.log(JSON.stringify({ msg, mb: process.resourceUsage().maxRSS / 1024 }));
  });`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60_000 });
  const got = JSON.parse(r.stdout.trim()) as { msg: string; mb: number };
  assert.match(
    got.msg,
    /CheckpointError: .*config\.json: model config: the config describes at least 764084224 parameters/,
  );
  assert.ok(got.mb < 300, `peak ${got.mb} MB`);
  // within the limits but not these weights: refused from the weights' size, before building
  edit((c) => {
    c.nLayer = 12;
    c.nEmbd = 1024;
  });
  assert.throws(
    () => loadModel(model),
    /config\.json: describes a model of at least \d+ bytes of weights, but .*weights\.safetensors has \d+/,
  );
  edit((c) => {
    c.nLayer = 100000;
  });
  assert.throws(() => loadModel(model), /config\.json: model config: nLayer 100000 exceeds the limit 96/);
  edit((c) => {
    c.blockSize = 1e9;
  });
  assert.throws(() => loadModel(model), /config\.json: model config: blockSize 1000000000 exceeds the limit 16384/);
  // checkpoint version 1 (the first shipped models) kept condDropout in the model config: it loads;
  // version 2 (what tessera writes now) moved it to training's config, so there it is an unknown key
  const j = JSON.parse(original);
  const withDropout = { ...j.config, condDropout: 0.1 };
  writeFileSync(cfgPath, JSON.stringify({ ...j, version: 1, config: withDropout }));
  assert.equal(loadModel(model).model.config.nLayer, j.config.nLayer);
  writeFileSync(cfgPath, JSON.stringify({ ...j, version: 2, config: withDropout }));
  assert.throws(() => loadModel(model), /model config: unknown key "condDropout"/);
  writeFileSync(cfgPath, original);
  // and the missing image tokenizer is named as the folder the checkpoint should have
  writeFileSync(cfgPath, original);
  rmSync(join(model, 'image-tokenizer'), { recursive: true });
  assert.throws(() => loadModel(model), /image-tokenizer\/ not found/);
});

test('training sizes are limited, and every problem of a train config is listed', () => {
  assert.throws(() => trainConfig({ batchSize: 1000000 }), /batchSize 1000000 exceeds the limit 512/);
  assert.throws(
    () => trainConfig({ batchTokens: 1e9, clip: 0, mixture: { t2j: 1 } }),
    /batchTokens 1000000000 exceeds the limit 262144; clip must be > 0, got 0; mixture: unknown task\(s\) t2j/,
  );
  const r = run('train', '--config', 'tiny', '--set', 'batchSize=1000000', '--out', join(dir, 'big'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /batchSize 1000000 exceeds the limit 512/);
});

test('user text is escaped on the terminal', () => {
  assert.equal(termSafe('make it \u001b[2Jred\u0007\n'), 'make it \\x1b[2Jred\\x07\n');
  assert.equal(termSafe('plain text, tabs\tand newlines\n'), 'plain text, tabs\tand newlines\n');
});
