// Shared fixtures for model, training and evaluation tests: small tokenizers built once per process.
import { makeWorldItem } from '../../src/data/index.js';
import type { Tokenizers } from '../../src/model/index.js';
import { PatchPaletteTokenizer } from '../../src/tokenizers/image/patch-palette.js';
import { trainBpe } from '../../src/tokenizers/index.js';

let cached: Tokenizers | null = null;

/** A 320-id BPE over a few world texts and the 1024-code stand-in image tokenizer. */
export function testTokenizers(): Tokenizers {
  if (cached) return cached;
  const corpus: string[] = [];
  for (const t of ['caption', 'vqa', 't2i', 'edit', 'compound'] as const)
    for (let i = 0; i < 40; i++)
      for (const s of makeWorldItem(t, 'train', 5, i).segments) if (s.text) corpus.push(s.text);
  cached = {
    text: trainBpe(corpus, { vocabSize: 320 }).tokenizer,
    image: PatchPaletteTokenizer.fromScenes(1024, 600, 3),
  };
  return cached;
}
