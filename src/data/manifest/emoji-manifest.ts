// Emoji as "a user's own data": emoji items of both splits written as PNGs and a manifest.jsonl (caption
// lines and edit pairs), so the worked example of fine-tuning (docs/model.md) needs no committed images.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emojiItems } from '../emoji/emoji.js';
import { writePng } from '../png.js';
import type { TaskItem } from '../sequence.js';

/** One manifest line for an emoji item, its images written beside it. */
function manifestLine(dir: string, it: TaskItem, n: number): Record<string, string> {
  const png = (k: number) => {
    const file = `${String(n).padStart(4, '0')}-${k}.png`;
    writePng(join(dir, file), it.segments[k].image!.pixels);
    return file;
  };
  const split = it.split;
  if (it.task === 'emoji_caption') return { image: png(0), caption: it.segments[2].text!, split };
  return { source: png(0), target: png(2), instruction: it.segments[1].text!, split };
}

/** Emoji items of both splits as a manifest with its PNGs in dir (what a user's own data looks like). */
export function writeEmojiManifest(dir: string, n: number, heldout: number, seed: number) {
  mkdirSync(dir, { recursive: true });
  const items = emojiItems(n, seed).concat(heldout > 0 ? emojiItems(heldout, seed, { split: 'heldout' }) : []);
  const lines = items.map((it, i) => JSON.stringify(manifestLine(dir, it, i)));
  const path = join(dir, 'manifest.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  const images = items.reduce((a, it) => a + (it.task === 'emoji_caption' ? 1 : 2), 0);
  return { path, lines: lines.length, images };
}
