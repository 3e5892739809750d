// The `tessera-bpe` JSON file format for text tokenizers (documented in docs/tokenizers.md):
//   { "format": "tessera-bpe", "version": 1, "pretokenizer": "gpt2-like-v1", "vocab_size": N,
//     "merges": [[a, b], ...], "special_tokens": { "<|user|>": id, ... } }
// ids 0..255 are bytes, merges[i] makes id 256+i, special tokens take 256+merges.length .. N-1 in order.
// Saving is atomic (temp file + rename); loading checks every field and refuses a bad file with a
// TokenizerFileError naming the file, the field, and what to do.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { BpeTokenizer, type Merge } from './bpe.js';
import { PRETOKENIZER } from './pretokenize.js';

export const FORMAT = 'tessera-bpe';
export const VERSION = 1;
const RETRAIN = 're-train it with `tessera tokenizer train-text`';

/** A tokenizer file that cannot be used: which file, which field, what is wrong and what to do. */
export class TokenizerFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
    hint: string = RETRAIN,
  ) {
    super(`${file}: ${field ? `${field} ` : ''}${problem}; ${hint}`);
    this.name = 'TokenizerFileError';
  }
}

/** The plain JSON object written to disk. */
export type TokenizerJson = {
  format: typeof FORMAT;
  version: typeof VERSION;
  pretokenizer: string;
  vocab_size: number;
  merges: [number, number][];
  special_tokens: Record<string, number>;
};

export function tokenizerToJson(tok: BpeTokenizer): TokenizerJson {
  return {
    format: FORMAT,
    version: VERSION,
    pretokenizer: tok.pretokenizer,
    vocab_size: tok.vocabSize,
    merges: tok.merges.map(([a, b]) => [a, b]),
    special_tokens: Object.fromEntries(tok.specialTokens),
  };
}

/** Writes the tokenizer as JSON (one merge per line, so diffs stay readable) via temp file + rename. */
export function saveTokenizer(tok: BpeTokenizer, path: string): void {
  const j = tokenizerToJson(tok);
  const merges = j.merges.map((m) => `    [${m[0]}, ${m[1]}]`).join(',\n');
  const text =
    `{\n  "format": ${JSON.stringify(j.format)},\n  "version": ${j.version},\n` +
    `  "pretokenizer": ${JSON.stringify(j.pretokenizer)},\n  "vocab_size": ${j.vocab_size},\n` +
    `  "special_tokens": ${JSON.stringify(j.special_tokens)},\n  "merges": [\n${merges}\n  ]\n}\n`;
  writeTextAtomic(path, text);
}

/** Writes a text file via a temp file and a rename (a crash leaves the old file or the new, never half). */
export function writeTextAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Reads and validates a tokenizer file. */
export function loadTokenizer(path: string): BpeTokenizer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : String(e);
    throw new TokenizerFileError(path, '', `cannot be read: ${why}`, `check the path, or ${RETRAIN}`);
  }
  return tokenizerFromJsonText(text, basename(path));
}

/** Parses and validates the text of a tokenizer file; `file` is only used in error messages. */
export function tokenizerFromJsonText(text: string, file = 'tokenizer.json'): BpeTokenizer {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const truncated = text.trim().length === 0 || !text.trimEnd().endsWith('}');
    const why = truncated ? 'the file looks truncated (it does not end with "}")' : String((e as Error).message);
    throw new TokenizerFileError(file, '', `is not valid JSON (${text.length} chars): ${why}`);
  }
  return tokenizerFromJson(raw, file);
}

/** Validates a parsed tokenizer object and builds the tokenizer. */
export function tokenizerFromJson(raw: unknown, file = 'tokenizer.json'): BpeTokenizer {
  const fail = (field: string, problem: string, hint?: string): never => {
    throw new TokenizerFileError(file, field, problem, hint);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('', 'is not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.format !== FORMAT) fail('format', `is ${JSON.stringify(o.format)}, expected "${FORMAT}"`);
  if (o.version !== VERSION) {
    fail(
      'version',
      `is ${JSON.stringify(o.version)}, this build reads version ${VERSION}`,
      `${RETRAIN} or use a matching tessera`,
    );
  }
  if (o.pretokenizer !== undefined && o.pretokenizer !== PRETOKENIZER) {
    fail('pretokenizer', `is ${JSON.stringify(o.pretokenizer)}, this build has "${PRETOKENIZER}"`);
  }
  const vocab = o.vocab_size;
  if (typeof vocab !== 'number' || !Number.isInteger(vocab) || vocab < 256) {
    fail('vocab_size', `is ${JSON.stringify(vocab)}, expected an integer >= 256`);
  }
  if (!Array.isArray(o.merges)) fail('merges', `is ${typeof o.merges}, expected an array of [a, b] pairs`);
  const merges: Merge[] = [];
  const seen = new Map<string, number>();
  (o.merges as unknown[]).forEach((m, i) => {
    const id = 256 + i;
    if (!Array.isArray(m) || m.length !== 2) fail(`merges[${i}]`, `is ${JSON.stringify(m)}, expected [a, b]`);
    const [a, b] = m as unknown[];
    for (const x of [a, b]) {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= id) {
        fail(`merges[${i}]`, `refers to id ${JSON.stringify(x)} but only ${id} ids (0..${id - 1}) exist before it`);
      }
    }
    const key = `${a},${b}`;
    const first = seen.get(key);
    if (first !== undefined) fail(`merges[${i}]`, `[${a}, ${b}] repeats merges[${first}]`);
    seen.set(key, i);
    merges.push([a as number, b as number]);
  });
  const st = o.special_tokens;
  if (typeof st !== 'object' || st === null || Array.isArray(st)) {
    fail('special_tokens', `is ${JSON.stringify(st)}, expected an object {"<|user|>": id, ...}`);
  }
  const entries = Object.entries(st as Record<string, unknown>);
  const firstSpecial = 256 + merges.length;
  const byId = new Map<number, string>();
  for (const [name, id] of entries) {
    const f = `special_tokens[${JSON.stringify(name)}]`;
    if (name.length === 0) fail(f, 'has an empty name');
    if (typeof id !== 'number' || !Number.isInteger(id)) fail(f, `is ${JSON.stringify(id)}, expected an integer id`);
    const n = id as number;
    if (n < firstSpecial || n >= firstSpecial + entries.length) {
      fail(
        f,
        `is ${n}, expected an id in ${firstSpecial}..${firstSpecial + entries.length - 1} (after the ${merges.length} merges)`,
      );
    }
    const other = byId.get(n);
    if (other !== undefined) fail(f, `has id ${n}, which ${JSON.stringify(other)} already has (duplicate special id)`);
    byId.set(n, name);
  }
  const expected = firstSpecial + entries.length;
  if (vocab !== expected) {
    fail(
      'vocab_size',
      `is ${vocab} but 256 bytes + ${merges.length} merges + ${entries.length} special tokens = ${expected}`,
    );
  }
  const specials = [...byId.entries()].sort((x, y) => x[0] - y[0]).map(([, name]) => name);
  return new BpeTokenizer(merges, specials);
}
