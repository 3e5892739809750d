// The text tokenizer in Hugging Face's `tokenizers` JSON format (the tokenizer.json that the Rust library,
// transformers and tokenizers.js load), exported from and imported into our own `tessera-bpe` format.
//
// Our pipeline maps onto HF's exactly, with no Split needed: our pre-tokeniser regex (pretokenize.ts) is
// GPT-2's, which is what HF's ByteLevel pre-tokenizer applies with use_regex=true (add_prefix_space must be
// false: we add no space). Pieces become bytes, each byte written as GPT-2's printable stand-in character
// (bytes_to_unicode), and the BPE model merges them lowest rank first, leftmost first among equal ranks,
// as our encoder does. Our ids carry over unchanged: byte b is id b, merge i makes id 256+i, and the special
// tokens (in the vocab and in added_tokens, special, no strip, not normalized) follow. HF always cuts
// added tokens out of text, leftmost-longest, so it equals our encode(text, { allowSpecial: true }).
// Import accepts exactly this pipeline and id layout (what export writes); anything else (another
// normalizer or pre-tokenizer, dropout, a byte fallback, other ids) is refused naming the field, because
// the ids would not mean the same to a tessera model.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { BpeTokenizer } from './bpe.js';
import { FORMAT, TokenizerFileError, tokenizerFromJson, VERSION, writeTextAtomic } from './format.js';
import { PRETOKENIZER } from './pretokenize.js';

const REEXPORT = 'export it from a tessera tokenizer with `tessera tokenizer export-hf`';

/** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for U+0100 upwards. */
export const BYTE_CHARS: readonly string[] = (() => {
  const out: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : next++);
  }
  return Object.freeze(out);
})();

/** One entry of HF's added_tokens. */
export type HfAddedToken = {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
};

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };

/** The tokenizer as an HF tokenizer.json object. Throws if two ids would share one vocab string. */
export function tokenizerToHf(tok: BpeTokenizer): Record<string, unknown> {
  const strings: string[] = [...BYTE_CHARS];
  const merges: string[] = [];
  for (const [a, b] of tok.merges) {
    merges.push(`${strings[a]} ${strings[b]}`);
    strings.push(strings[a] + strings[b]);
  }
  const added: HfAddedToken[] = [];
  for (const [content, id] of tok.specialTokens) {
    added.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    strings.push(content);
  }
  const vocab: Record<string, number> = {};
  strings.forEach((s, id) => {
    if (Object.hasOwn(vocab, s))
      throw new RangeError(
        `ids ${vocab[s]} and ${id} are both ${JSON.stringify(s)}; an HF vocab needs one id a string`,
      );
    vocab[s] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: BYTE_LEVEL,
    post_processor: null,
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** Writes the HF tokenizer.json via temp file + rename. */
export function saveHfTokenizer(tok: BpeTokenizer, path: string): void {
  const text = `${JSON.stringify(tokenizerToHf(tok), null, 1)}\n`;
  writeTextAtomic(path, text);
}

/** Reads an HF tokenizer.json with tessera's pipeline and id layout (see the header). */
export function loadHfTokenizer(path: string): BpeTokenizer {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TokenizerFileError(basename(path), '', `cannot be read as JSON: ${(e as Error).message}`, REEXPORT);
  }
  return tokenizerFromHf(raw, basename(path));
}

type Fail = (field: string, problem: string) => never;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const unset = (x: unknown): boolean => x === undefined || x === null;

/** Checks a ByteLevel component: no prefix space, and (for the pre-tokenizer) GPT-2's regex on. */
function checkByteLevel(x: unknown, field: string, fail: Fail, optional: boolean): void {
  if (optional && unset(x)) return;
  if (!isObject(x) || x.type !== 'ByteLevel') fail(field, `is ${JSON.stringify(x)?.slice(0, 80)}, expected ByteLevel`);
  const o = x as Record<string, unknown>;
  if (o.add_prefix_space === true) fail(`${field}.add_prefix_space`, 'is true; tessera adds no prefix space');
  if (!optional && o.use_regex === false) fail(`${field}.use_regex`, 'is false; tessera splits with the GPT-2 regex');
}

/** Checks the BPE model's options that change encoding, and returns its vocab and merges. */
function checkModel(m: unknown, fail: Fail): { vocab: Record<string, unknown>; merges: [string, string][] } {
  if (!isObject(m) || m.type !== 'BPE')
    fail('model.type', `is ${JSON.stringify(isObject(m) ? m.type : m)}, expected "BPE"`);
  const o = m as Record<string, unknown>;
  if (!unset(o.dropout) && o.dropout !== 0) fail('model.dropout', `is ${o.dropout}; tessera encodes deterministically`);
  for (const k of ['continuing_subword_prefix', 'end_of_word_suffix'])
    if (!unset(o[k]) && o[k] !== '') fail(`model.${k}`, `is ${JSON.stringify(o[k])}; tessera has none`);
  if (o.byte_fallback === true) fail('model.byte_fallback', 'is true; tessera is byte-level, with no <0xNN> tokens');
  if (o.ignore_merges === true) fail('model.ignore_merges', 'is true; tessera always applies the merges');
  if (!isObject(o.vocab)) fail('model.vocab', 'is not an object {token: id}');
  if (!Array.isArray(o.merges)) fail('model.merges', 'is not an array');
  const merges = (o.merges as unknown[]).map((x, i): [string, string] => {
    const pair = typeof x === 'string' ? x.split(' ') : x;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((s) => typeof s === 'string'))
      fail(`model.merges[${i}]`, `is ${JSON.stringify(x)}, expected "a b" or ["a", "b"]`);
    return pair as [string, string];
  });
  return { vocab: o.vocab as Record<string, unknown>, merges };
}

/** Validates a parsed HF tokenizer.json and builds the tokenizer; `file` names it in errors. */
export function tokenizerFromHf(raw: unknown, file = 'tokenizer.json'): BpeTokenizer {
  const fail: Fail = (field, problem) => {
    throw new TokenizerFileError(file, field, problem, REEXPORT);
  };
  if (!isObject(raw)) return fail('', 'is not a JSON object');
  if (!unset(raw.normalizer)) fail('normalizer', `is ${JSON.stringify(raw.normalizer).slice(0, 80)}; tessera has none`);
  checkByteLevel(raw.pre_tokenizer, 'pre_tokenizer', fail, false);
  checkByteLevel(raw.decoder, 'decoder', fail, true);
  checkByteLevel(raw.post_processor, 'post_processor', fail, true);
  const { vocab, merges } = checkModel(raw.model, fail);
  const idOf = (s: string, field: string): number => {
    const id = vocab[s];
    if (typeof id !== 'number' || !Number.isInteger(id))
      return fail(field, `names ${JSON.stringify(s)}, not in model.vocab`);
    return id;
  };
  BYTE_CHARS.forEach((c, b) => {
    if (vocab[c] !== b) fail(`model.vocab[${JSON.stringify(c)}]`, `is ${vocab[c]}, expected byte ${b} to be id ${b}`);
  });
  const pairs = merges.map(([a, b], i): [number, number] => {
    const field = `model.merges[${i}]`;
    const made = idOf(a + b, field);
    if (made !== 256 + i) fail(field, `makes ${JSON.stringify(a + b)} = id ${made}, expected id ${256 + i}`);
    return [idOf(a, field), idOf(b, field)];
  });
  const added = Array.isArray(raw.added_tokens) ? raw.added_tokens : fail('added_tokens', 'is not an array');
  const specials: Record<string, number> = {};
  for (const [i, t] of (added as unknown[]).entries()) {
    const field = `added_tokens[${i}]`;
    if (!isObject(t) || typeof t.content !== 'string' || typeof t.id !== 'number') fail(field, 'needs id and content');
    for (const k of ['lstrip', 'rstrip', 'single_word'])
      if (t[k] === true) fail(`${field}.${k}`, 'is true; tessera cuts special tokens out exactly');
    if (!unset(vocab[t.content]) && vocab[t.content] !== t.id)
      fail(field, `has id ${t.id} but model.vocab gives ${JSON.stringify(t.content)} id ${vocab[t.content]}`);
    specials[t.content] = t.id;
  }
  const size = 256 + merges.length + added.length;
  const extra =
    Object.keys(vocab).length - (256 + merges.length) - added.filter((t) => !unset(vocab[t.content])).length;
  if (extra !== 0) fail('model.vocab', `has ${extra} entries that are neither a byte, a merge nor an added token`);
  // the tessera-bpe checks (ids in range, specials right after the merges, no repeats) do the rest
  return tokenizerFromJson(
    {
      format: FORMAT,
      version: VERSION,
      pretokenizer: PRETOKENIZER,
      vocab_size: size,
      merges: pairs,
      special_tokens: specials,
    },
    file,
  );
}
