// Items to evaluate on: n per task kind, from the held-out split (combinations, words and emoji never
// trained on) or, with split 'train', fresh items of trained combinations. The one source of evaluation
// items for training's periodic evaluation, tessera eval and the ablation.
import { emojiItems } from './emoji/emoji.js';
import { type TaskItem, type TaskKind, WORLD_TASKS } from './sequence.js';
import type { Split } from './world/sample.js';
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
