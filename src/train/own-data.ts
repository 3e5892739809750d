// The user's own data in a training run: the manifest's items (captions in both directions, edits, QA),
// split into train and held-out, and a digest of everything loaded, so a resumed run can check that it
// continues on exactly the data it started with.
import { createHash } from 'node:crypto';
import { formatProblems, loadManifest, type TaskItem } from '../data/index.js';

export interface OwnData {
  path: string;
  train: TaskItem[];
  heldout: TaskItem[];
  /** sha256 over every item's texts and pixels, in order. */
  digest: string;
}

/** A manifest that cannot be trained on: the file and every problem (line and field). */
export class OwnDataError extends Error {
  override name = 'OwnDataError';
}

function digestOf(items: readonly TaskItem[]): string {
  const h = createHash('sha256');
  for (const it of items) {
    h.update(`${it.id}|${it.task}|${it.split}\n`);
    for (const s of it.segments) {
      h.update(`${s.role}:${s.kind}:${s.text ?? ''}\n`);
      if (s.image) h.update(s.image.pixels.data);
    }
  }
  return h.digest('hex');
}

/** Loads a manifest for training (every line validated first; nothing is used unless all are valid). */
export function loadOwnData(path: string): OwnData {
  const r = loadManifest(path, { bothDirections: true });
  if (!r.ok) throw new OwnDataError(`training data ${path} is not valid:\n${formatProblems(path, r.problems)}`);
  const train = r.items.filter((it) => it.split === 'train');
  if (train.length === 0)
    throw new OwnDataError(`training data ${path}: no line has split "train" (every line is held out)`);
  return { path, train, heldout: r.items.filter((it) => it.split === 'heldout'), digest: digestOf(r.items) };
}
