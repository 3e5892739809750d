// The tokenizers a fresh training run starts from: a byte-level BPE trained on the texts of the training
// mixture (every world task, emoji captions, facts), and the image tokenizer: the shipped VQ-VAE, or the
// stand-in patch dictionary for quick tests. Both deterministic in their seed.
import { emojiItems, makeWorldItem, TRAINING_AID_TASKS, WORLD_TASKS } from '../data/index.js';
import type { Tokenizers } from '../model/index.js';
import { PatchPaletteTokenizer } from '../tokenizers/image/patch-palette.js';
import { defaultImageTokenizerDir, trainBpe, Vqvae } from '../tokenizers/index.js';

export function buildTokenizers(textVocab: number, imageCodes: number, seed: number): Tokenizers {
  const corpus: string[] = [];
  // Not the training aids: random letter strings would buy merges of nonsense, plans are compound's texts
  // again; so a fresh run's tokenizer stays what it was before them.
  for (const task of WORLD_TASKS.filter((t) => !TRAINING_AID_TASKS.includes(t)))
    for (let i = 0; i < 300; i++)
      for (const s of makeWorldItem(task, 'train', seed + 77, i).segments) if (s.text) corpus.push(s.text);
  for (const it of emojiItems(200, seed + 77)) for (const s of it.segments) if (s.text) corpus.push(s.text);
  const { tokenizer } = trainBpe(corpus, { vocabSize: textVocab });
  const image =
    imageCodes === 0
      ? Vqvae.load(defaultImageTokenizerDir())
      : PatchPaletteTokenizer.fromScenes(imageCodes, 1500, seed);
  return { text: tokenizer, image };
}
