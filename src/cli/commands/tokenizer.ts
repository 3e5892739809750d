// `tessera tokenizer train-text` and `tessera tokenizer encode-text`: train a byte-level BPE on text or
// JSONL files and save it as tessera-bpe JSON; encode a string with a saved tokenizer.
// `export-hf` / `import-hf`: convert a model's text tokenizer to and from Hugging Face's tokenizer.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultModelDir } from '../../model/index.js';
import { loadHfTokenizer, loadTokenizer, saveHfTokenizer, saveTokenizer, trainBpe } from '../../tokenizers/index.js';
import { intOption } from '../options.js';
import { checkWritable } from '../output.js';
import { formatTable } from '../table.js';

/** Reads training strings: one per non-empty line, or the "text" field of each line of a JSONL file. */
export function readCorpus(files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split(/\r?\n/);
    const jsonl = file.endsWith('.jsonl') || (lines.find((l) => l.trim() !== '') ?? '').trimStart().startsWith('{');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      if (!jsonl) {
        out.push(line);
        return;
      }
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${i + 1}: not valid JSON; a JSONL corpus needs one {"text": "..."} object per line`);
      }
      const text = (row as { text?: unknown } | null)?.text;
      if (typeof text !== 'string') throw new Error(`${file}:${i + 1}: no string field "text" in this JSONL row`);
      out.push(text);
    });
  }
  return out;
}

export function registerTokenizer(program: Command): void {
  const cmd = program
    .command('tokenizer')
    .description('train and use the tokenizers (byte-level BPE text, VQ-VAE image)');

  cmd
    .command('train-text')
    .description('train a byte-level BPE on text lines or JSONL ({"text": ...}) and save it as JSON')
    .requiredOption('--input <files...>', 'text or JSONL files')
    .requiredOption('--vocab <n>', 'vocabulary size incl. 256 bytes and special tokens', intOption('vocab', 1))
    .requiredOption('--out <file>', 'where to write tokenizer.json (an existing file is refused unless --force)')
    .option('--force', 'replace the --out file if it exists')
    .option('--special <tokens...>', 'extra special tokens after the default ones')
    .option('--min-frequency <n>', 'stop when the best pair is rarer than this', intOption('min-frequency', 1), 2)
    .action(
      (opts: {
        input: string[];
        vocab: number;
        out: string;
        special?: string[];
        minFrequency: number;
        force?: boolean;
      }) => {
        checkWritable(opts.out, opts.force);
        const corpus = readCorpus(opts.input);
        const { tokenizer, stats } = trainBpe(corpus, {
          vocabSize: opts.vocab,
          extraSpecialTokens: opts.special ?? [],
          minFrequency: opts.minFrequency,
        });
        saveTokenizer(tokenizer, opts.out);
        const enc = new TextEncoder();
        let bytes = 0;
        let tokens = 0;
        const t0 = performance.now();
        for (const s of corpus) {
          bytes += enc.encode(s).length;
          tokens += tokenizer.encode(s).length;
        }
        const encodeSeconds = (performance.now() - t0) / 1000;
        const rows: [string, string][] = [
          ['input', `${corpus.length} strings, ${(bytes / 1e6).toFixed(2)} MB, ${stats.uniqueWords} unique words`],
          [
            'vocab size',
            `${tokenizer.vocabSize}${stats.stoppedEarly ? ` (stopped early: no pair occurs ${opts.minFrequency}+ times)` : ''}`,
          ],
          ['merges', `${stats.merges}`],
          ['special', `${tokenizer.specialTokens.size}`],
          ['train time', `${stats.seconds.toFixed(2)} s`],
          ['bytes/token', `${(bytes / Math.max(tokens, 1)).toFixed(3)} on the input (${tokens} tokens)`],
          ['encode speed', `${(bytes / 1e6 / Math.max(encodeSeconds, 1e-9)).toFixed(1)} MB/s`],
          ['wrote', opts.out],
        ];
        for (const line of formatTable(['stat', 'value'], rows).split('\n')) console.log(line);
      },
    );

  cmd
    .command('encode-text <text>')
    .description('print the token ids of a string as JSON')
    .requiredOption('--tokenizer <file>', 'a tokenizer.json written by train-text')
    .option('--allow-special', 'turn special-token text such as <|user|> into single ids')
    .action((text: string, opts: { tokenizer: string; allowSpecial?: boolean }) => {
      const tokenizer = loadTokenizer(opts.tokenizer);
      console.log(JSON.stringify(tokenizer.encode(text, { allowSpecial: opts.allowSpecial ?? false })));
    });
  cmd
    .command('export-hf <out>')
    .description("write a model's text tokenizer as a Hugging Face tokenizer.json (same ids)")
    .option('--model <dir>', 'model folder holding tokenizer.json (default: the shipped model)')
    .action((out: string, opts: { model?: string }) => {
      const tokenizer = loadTokenizer(join(opts.model ?? defaultModelDir(), 'tokenizer.json'));
      saveHfTokenizer(tokenizer, out);
      console.log(
        `wrote ${out} (${tokenizer.vocabSize} ids: ${tokenizer.merges.length} merges, ${tokenizer.specialTokens.size} special)`,
      );
    });

  cmd
    .command('import-hf <in> <out>')
    .description('convert a Hugging Face tokenizer.json (as export-hf writes it) to tessera-bpe JSON')
    .action((input: string, out: string) => {
      const tokenizer = loadHfTokenizer(input);
      saveTokenizer(tokenizer, out);
      console.log(
        `wrote ${out} (${tokenizer.vocabSize} ids: ${tokenizer.merges.length} merges, ${tokenizer.specialTokens.size} special)`,
      );
    });
}
