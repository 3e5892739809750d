// Pre-tokenisation for the byte-level BPE: splits text into words before merges are applied, so a merge
// never crosses a word/space/punctuation boundary. Special tokens are cut out first (when allowed).
//
// Written by hand rather than taken from a tokenizer library because it is tiny (one regex), must stay
// dependency-free, must run unchanged in the browser, and must match exactly what our JSON format
// (`tessera-bpe` v1, see docs/tokenizers.md) promises. The pattern follows GPT-2's: contractions, an
// optional leading space glued to a run of letters / digits / other symbols, and whitespace runs where
// the last space is left to start the next word.

/** The pre-tokeniser name written into tokenizer files; change it only with a format version bump. */
export const PRETOKENIZER = 'gpt2-like-v1';

// Every character of any string matches one of the alternatives, so the matches cover the text exactly.
const WORD_RE = /'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Split text (containing no special tokens) into pre-tokens; concatenating them gives the text back. */
export function splitWords(text: string): string[] {
  return text.match(WORD_RE) ?? [];
}

/** A piece of text: either plain text to be BPE-encoded, or one special token. */
export type Segment = { text: string; special: boolean };

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Builds a splitter that cuts the literal special-token strings out of text (longest match first). */
export function specialSplitter(specials: readonly string[]): (text: string) => Segment[] {
  if (specials.length === 0) return (text) => (text ? [{ text, special: false }] : []);
  const sorted = [...specials].sort((a, b) => b.length - a.length);
  const re = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  return (text) => {
    const out: Segment[] = [];
    let last = 0;
    for (const m of text.matchAll(re)) {
      const at = m.index ?? 0;
      if (at > last) out.push({ text: text.slice(last, at), special: false });
      out.push({ text: m[0], special: true });
      last = at + m[0].length;
    }
    if (last < text.length) out.push({ text: text.slice(last), special: false });
    return out;
  };
}
