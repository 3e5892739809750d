import { Rng } from '../../src/tensor/index.js';

// A seeded synthetic corpus of short English-like sentences for the tokenizer tests (and bench numbers).
const COMMON = (
  'the of and to a in is it you that he was for on are with as I his they be at one have this from or had ' +
  'by not word but what some we can out other were all there when up use your how said an each she which do ' +
  'their time if will way about many then them write would like so these her long make thing see him two has ' +
  'look more day could go come did number sound no most people my over know water than call first who may down ' +
  'side been now find any new work part take get place made live where after back little only round man year ' +
  'came show every good me give our under name very through just form sentence great think say help low line ' +
  'picture image red blue green cat dog banana house tree sky river mountain small large bright dark'
).split(' ');
const SYL = ['ka', 'lo', 'mi', 'ren', 'to', 'sha', 'vel', 'ni', 'qu', 'ar', 'es', 'on', 'ti', 'ber', 'ul'];

/** A seeded generator of floats in [0, 1) (the data layer's Rng). */
export function rng(seed: number): () => number {
  const r = Rng.world(seed);
  return () => r.next();
}

/** `n` sentences of 4..15 words, Zipf-like over common words plus made-up words, some digits and punctuation. */
export function englishLike(n: number, seed: number): string[] {
  const r = rng(seed);
  const rare: string[] = [];
  for (let i = 0; i < 2000; i++) {
    let w = '';
    const k = 1 + Math.floor(r() * 3);
    for (let j = 0; j < k; j++) w += SYL[Math.floor(r() * SYL.length)];
    rare.push(w);
  }
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 4 + Math.floor(r() * 12);
    const words: string[] = [];
    for (let j = 0; j < len; j++) {
      const u = r();
      if (u < 0.75) words.push(COMMON[Math.floor(COMMON.length * r() * r())]);
      else if (u < 0.97) words.push(rare[Math.floor(rare.length * r() * r())]);
      else words.push(String(Math.floor(r() * 2000)));
    }
    let s = words.join(' ');
    s = s[0].toUpperCase() + s.slice(1) + (r() < 0.8 ? '.' : r() < 0.5 ? '?' : '!');
    if (r() < 0.1) s = s.replace(' ', ', ');
    out.push(s);
  }
  return out;
}
