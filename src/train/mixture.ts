// The training mixture: a weighted choice of task kind per example, items made on the fly from the scene
// world (a pure function of task, split, seed and index, so the data cursor is just a counter per task)
// and a small fixed pool of emoji items; optionally the user's own items (a manifest's train lines), drawn
// with probability `ratio` in a fixed seeded order. The whole state (RNG + cursors) round-trips for exact
// resume. Without own items the draws are exactly those of the world's mixture alone.
import { emojiItems, makeWorldItem, type TaskItem, type TaskKind, WORLD_TASKS, type WorldTask } from '../data/index.js';
import { Rng } from '../tensor/index.js';

/** Default weights: understanding and generation both well represented, a little emoji. Text-to-image
 *  has the most weight: binding a prompt's objects to their cells is what the model learns last. */
export const DEFAULT_MIXTURE: Readonly<Partial<Record<TaskKind, number>>> = Object.freeze({
  caption: 1,
  vqa: 2,
  ocr: 1,
  t2i: 6,
  edit: 2,
  chain: 0.5,
  compound: 0.5,
  fact: 0.5,
  fact_t2i: 0.5,
  imagine: 0.5,
  emoji_caption: 0.15,
  emoji_edit: 0.15,
});

/** Tasks whose answers are images (generation) and whose answers are text (understanding). */
export const GENERATION_TASKS: readonly TaskKind[] = ['t2i', 'edit', 'chain', 'fact_t2i', 'emoji_edit', 'letters_t2i'];
export const UNDERSTANDING_TASKS: readonly TaskKind[] = [
  'caption',
  'vqa',
  'ocr',
  'fact',
  'emoji_caption',
  'letters_ocr',
  'plan',
  'ask',
];

export interface MixtureState {
  rng: { state: number; spare: number | null };
  cursors: Record<string, number>;
}

/** The user's own items and the fraction of draws that come from them. */
export interface OwnItems {
  items: readonly TaskItem[];
  ratio: number;
}

/** Cursor name of the own items (not a task kind, so it never collides with one). */
const OWN_CURSOR = 'own';

export class Mixture {
  private readonly rng: Rng;
  private readonly ownOrder: number[] = [];
  private readonly tasks: TaskKind[];
  private readonly cum: number[];
  private cursors: Record<string, number> = {};
  private emojiPool: TaskItem[] | null = null;

  constructor(
    weights: Readonly<Partial<Record<TaskKind, number>>>,
    private readonly seed: number,
    private readonly emojiPoolSize = 200,
    private readonly own: OwnItems | null = null,
  ) {
    this.tasks = (Object.keys(weights) as TaskKind[]).filter((t) => (weights[t] ?? 0) > 0);
    if (this.tasks.length === 0) throw new Error('mixture: no task has a positive weight');
    let s = 0;
    this.cum = this.tasks.map((t) => (s += weights[t]!));
    this.rng = new Rng(seed);
    if (own && own.items.length === 0) throw new Error('mixture: own data has no items');
    if (own) this.ownOrder = new Rng(seed + 4243).shuffled(own.items.map((_, i) => i));
  }

  get taskKinds(): readonly TaskKind[] {
    return this.tasks;
  }

  /** The next training item. */
  next(): TaskItem {
    if (this.own && this.own.ratio > 0 && this.rng.next() < this.own.ratio) {
      const i = this.cursors[OWN_CURSOR] ?? 0;
      this.cursors[OWN_CURSOR] = i + 1;
      return this.own.items[this.ownOrder[i % this.ownOrder.length]];
    }
    const u = this.rng.next() * this.cum[this.cum.length - 1];
    const task = this.tasks[this.cum.findIndex((c) => u < c)];
    const i = this.cursors[task] ?? 0;
    this.cursors[task] = i + 1;
    if ((WORLD_TASKS as readonly string[]).includes(task))
      return makeWorldItem(task as WorldTask, 'train', this.seed, i);
    return this.emoji(task, i);
  }

  private emoji(task: TaskKind, i: number): TaskItem {
    this.emojiPool ??= emojiItems(this.emojiPoolSize, this.seed);
    const pool = this.emojiPool.filter((it) => it.task === task);
    if (pool.length === 0) throw new Error(`mixture: the emoji pool has no ${task} items`);
    return pool[i % pool.length];
  }

  getState(): MixtureState {
    return { rng: this.rng.getState(), cursors: { ...this.cursors } };
  }

  setState(s: MixtureState): void {
    this.rng.setState(s.rng);
    this.cursors = { ...s.cursors };
  }
}
