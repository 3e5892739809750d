// `tessera tokenizer` commands: corpus reading (text lines / JSONL) and a train -> encode run in-process.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Command } from 'commander';
import { readCorpus, registerTokenizer } from '../../src/cli/commands/tokenizer.js';
import { defaultModelDir } from '../../src/model/index.js';
import { loadTokenizer, tokenizerToJson } from '../../src/tokenizers/index.js';
import { englishLike } from '../tokenizers/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tessera tokenizer', () => {
  test('reads text lines and JSONL "text" fields, naming file:line on a bad row', () => {
    const txt = join(dir, 'a.txt');
    const jsonl = join(dir, 'b.jsonl');
    writeFileSync(txt, 'one line\n\ntwo line\r\n');
    writeFileSync(jsonl, '{"text": "é 🍌"}\n{"text": "x"}\n');
    assert.deepEqual(readCorpus([txt, jsonl]), ['one line', 'two line', 'é 🍌', 'x']);
    writeFileSync(jsonl, '{"text": "ok"}\n{"nope": 1}\n');
    assert.throws(() => readCorpus([jsonl]), /b\.jsonl:2: no string field "text"/);
  });

  test('train-text writes a loadable tokenizer and encode-text prints ids', async () => {
    const input = join(dir, 'corpus.txt');
    const out = join(dir, 'tok.json');
    writeFileSync(input, englishLike(2000, 21).join('\n'));
    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => logs.push(a.join(' '));
    try {
      const program = new Command().exitOverride();
      registerTokenizer(program);
      await program.parseAsync(['tokenizer', 'train-text', '--input', input, '--vocab', '600', '--out', out], {
        from: 'user',
      });
      await program.parseAsync(['tokenizer', 'encode-text', 'Hello <|user|>', '--tokenizer', out, '--allow-special'], {
        from: 'user',
      });
    } finally {
      console.log = log;
    }
    assert.ok(
      logs.some((l) => /^vocab size +600$/.test(l)),
      logs.join('\n'),
    );
    assert.ok(logs.some((l) => /^bytes\/token +\d/.test(l)));
    const tok = loadTokenizer(out);
    assert.deepEqual(JSON.parse(logs[logs.length - 1]), tok.encode('Hello <|user|>', { allowSpecial: true }));
  });

  test('export-hf writes a Hugging Face tokenizer.json and import-hf turns it back into the same tokenizer', async () => {
    const hf = join(dir, 'hf.json');
    const back = join(dir, 'back.json');
    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => logs.push(a.join(' '));
    try {
      const program = new Command().exitOverride();
      registerTokenizer(program);
      await program.parseAsync(['tokenizer', 'export-hf', hf, '--model', defaultModelDir()], { from: 'user' });
      await program.parseAsync(['tokenizer', 'import-hf', hf, back], { from: 'user' });
    } finally {
      console.log = log;
    }
    const shipped = loadTokenizer(join(defaultModelDir(), 'tokenizer.json'));
    assert.match(logs[0], new RegExp(`^wrote .*hf\\.json \\(${shipped.vocabSize} ids`));
    const j = JSON.parse(readFileSync(hf, 'utf8'));
    assert.equal(j.model.type, 'BPE');
    assert.deepEqual(tokenizerToJson(loadTokenizer(back)), tokenizerToJson(shipped));
  });
});
