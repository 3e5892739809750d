// Items to evaluate on: n per task kind, from the held-out split (combinations, words and emoji never
// trained on) or, with split 'train', fresh items of trained combinations. The one source of evaluation
// items for training's periodic evaluation, tessera eval and the ablation.
import { emojiItems } from './emoji/emoji.js';
import { type TaskItem, type TaskKind, WORLD_TASKS } from './sequence.js';
import type { Split } from './world/sample.js';
import type { Scene } from './world/scene.js';
import { isHeldoutIdentity, isHeldoutPair, isHeldoutWord } from './world/spec.js';
import { makeWorldItem, type WorldTask } from './world/tasks.js';

/** Evaluation items: n per task kind, from the held-out split by default (world tasks and emoji); with
 *  split 'train', fresh items of training combinations (seed 1000 is never a training seed's stream). */
export function evaluationItems(
  tasks: readonly TaskKind[],
  n: number,
  seed = 1000,
  split: Split = 'heldout',
): TaskItem[] {
  const out: TaskItem[] = [];
  const emoji = tasks.some((t) => t.startsWith('emoji')) ? emojiItems(n * 6, seed, { split }) : [];
  for (const t of tasks) {
    if ((WORLD_TASKS as readonly string[]).includes(t))
      for (let i = 0; i < n; i++) out.push(makeWorldItem(t as WorldTask, split, seed, i));
    else out.push(...emoji.filter((it) => it.task === t).slice(0, n));
  }
  return out;
}

/** Factor groups of factorItems: which task, and what its first scene (and, for edits, the one after) has. */
const FACTOR_GROUPS: readonly { task: WorldTask; has: (first: Scene, last: Scene) => boolean }[] = [
  { task: 't2i', has: (s) => !!s.sign && isHeldoutWord(s.sign) },
  { task: 'ocr', has: (s) => !!s.sign && isHeldoutWord(s.sign) },
  { task: 't2i', has: (s) => !!s.character && isHeldoutIdentity(s.character) },
  {
    task: 'edit',
    has: (b, a) =>
      b.objects.some(
        (o) =>
          isHeldoutPair(o.color, o.shape) &&
          a.objects.some((x) => x.cell === o.cell && x.color === o.color && x.shape === o.shape && x.size === o.size),
      ),
  },
  { task: 'edit', has: (b, a) => !!b.character && isHeldoutIdentity(b.character) && !!a.character },
];

/**
 * Held-out items chosen for the held-out factor they exercise, so that each factor metric has about n
 * judgements even where whole held-out scenes rarely show the factor: n text-to-image items whose sign is a
 * held-out word, n sign-reading items of held-out words, n text-to-image items with a character of a
 * held-out identity, n edits that must keep an object of a held-out pair, n edits that must keep a
 * character of a held-out identity. A stream apart from evaluationItems' (seed + 1), first items that fit.
 * With `tasks`, only the groups of those task kinds (eval --tasks t2i,ocr: no factor edits).
 */
export function factorItems(n: number, seed = 1000, tasks: readonly TaskKind[] | null = null): TaskItem[] {
  const out: TaskItem[] = [];
  for (const g of FACTOR_GROUPS) {
    if (tasks && !tasks.includes(g.task)) continue;
    let found = 0;
    for (let i = 0; found < n; i++) {
      if (i > n * 1000)
        throw new Error(`factorItems: fewer than ${n} ${g.task} items of the factor in ${i} held-out items`);
      const it = makeWorldItem(g.task, 'heldout', seed + 1, i);
      const scenes = it.segments.flatMap((s) => (s.image?.scene ? [s.image.scene] : []));
      if (scenes.length && g.has(scenes[0], scenes[scenes.length - 1])) {
        out.push(it);
        found++;
      }
    }
  }
  return out;
}
