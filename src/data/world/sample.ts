// The scene sampler: seeded, with the held-out split. A scene is "held-out" when it contains any
// held-out combination (color-shape pair, word, character identity); the split is a pure function of
// the scene's attributes (sceneSplit), and the sampler only returns scenes of the split asked for.
import type { Rng } from '../../tensor/index.js';
import { type Character, normalizeScene, type Scene, type SceneObject } from './scene.js';
import {
  ACCESSORIES,
  BACKGROUNDS,
  BODY_COLORS,
  EYE_COLORS,
  FACES,
  HELDOUT_IDENTITIES,
  HELDOUT_PAIRS,
  HELDOUT_WORDS,
  isHeldoutIdentity,
  isHeldoutPair,
  isHeldoutWord,
  OBJECT_COLORS,
  SHAPES,
  SIZES,
  WORDS,
} from './spec.js';

export type Split = 'train' | 'heldout';

export interface SceneOptions {
  minObjects: number;
  maxObjects: number;
  /** Probability of a sign / a character. */
  pSign: number;
  pCharacter: number;
}

export const DEFAULT_SCENE_OPTIONS: Readonly<SceneOptions> = Object.freeze({
  minObjects: 1,
  maxObjects: 4,
  pSign: 0.5,
  pCharacter: 0.5,
});

/** Which split a scene belongs to: 'heldout' as soon as one held-out combination appears. */
export function sceneSplit(s: Scene): Split {
  if (s.objects.some((o) => isHeldoutPair(o.color, o.shape))) return 'heldout';
  if (s.sign && isHeldoutWord(s.sign)) return 'heldout';
  if (s.character && isHeldoutIdentity(s.character)) return 'heldout';
  return 'train';
}

export function trainWords(): string[] {
  return WORDS.filter((w) => !isHeldoutWord(w));
}

/** A random object of the split's allowed pairs (train: never a held-out pair). */
export function sampleObject(rng: Rng, cell: number, split: Split): SceneObject {
  for (;;) {
    const o: SceneObject = { shape: rng.pick(SHAPES), color: rng.pick(OBJECT_COLORS), size: rng.pick(SIZES), cell };
    if (split === 'heldout' || !isHeldoutPair(o.color, o.shape)) return o;
  }
}

export function sampleCharacter(rng: Rng, cell: number, split: Split): Character {
  for (;;) {
    const c: Character = {
      face: rng.pick(FACES),
      eyes: rng.pick(EYE_COLORS),
      body: rng.pick(BODY_COLORS),
      accessory: rng.pick(ACCESSORIES),
      cell,
    };
    if (split === 'heldout' || !isHeldoutIdentity(c)) return c;
  }
}

export function sampleWord(rng: Rng, split: Split): string {
  return rng.pick(split === 'train' ? trainWords() : WORDS);
}

/** Samples one scene of the split. Held-out scenes get at least one held-out combination. */
export function sampleScene(rng: Rng, split: Split = 'train', opts: SceneOptions = DEFAULT_SCENE_OPTIONS): Scene {
  for (;;) {
    const cells = rng.shuffled([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const nObj = rng.between(opts.minObjects, opts.maxObjects);
    const scene: Scene = { background: rng.pick(BACKGROUNDS), objects: [], sign: null, character: null };
    if (rng.chance(opts.pCharacter)) scene.character = sampleCharacter(rng, cells.pop()!, split);
    for (let i = 0; i < nObj; i++) scene.objects.push(sampleObject(rng, cells.pop()!, split));
    if (rng.chance(opts.pSign)) scene.sign = sampleWord(rng, split);
    if (split === 'heldout' && sceneSplit(scene) !== 'heldout') forceHeldout(rng, scene, cells);
    normalizeScene(scene);
    if (sceneSplit(scene) === split) return scene;
  }
}

/** Puts one held-out combination into a scene (an object, the word, or the character's identity). */
function forceHeldout(rng: Rng, scene: Scene, freeCells: number[]): void {
  const kind = rng.between(0, 2);
  if (kind === 0) {
    const [color, shape] = rng.pick(HELDOUT_PAIRS);
    const target = scene.objects.length > 0 ? rng.pick(scene.objects) : null;
    if (target) Object.assign(target, { color, shape });
    else scene.objects.push({ color, shape, size: rng.pick(SIZES), cell: freeCells.pop()! });
  } else if (kind === 1) {
    scene.sign = rng.pick(HELDOUT_WORDS);
  } else {
    const [face, eyes, body] = rng.pick(HELDOUT_IDENTITIES).split('/');
    const id = { face, eyes, body } as Pick<Character, 'face' | 'eyes' | 'body'>;
    if (scene.character) Object.assign(scene.character, id);
    else if (freeCells.length > 0)
      scene.character = { ...id, accessory: rng.pick(ACCESSORIES), cell: freeCells.pop()! };
    else scene.sign = rng.pick(HELDOUT_WORDS);
  }
}
