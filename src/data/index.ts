// The data layer's public face: the scene world (spec, sampler, renderer, verifier), tasks in the one
// sequence format, emoji images, user manifests, and writing items to disk for people to look at.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePng } from './png.js';
import { renderSequence, type TaskItem } from './sequence.js';
import { upscale } from './world/render.js';

export * from './emoji/emoji.js';
export { evaluationItems } from './evaluation.js';
export * from './manifest/manifest.js';
export * from './png.js';
export * from './sequence.js';
export * from './world/compare.js';
export * from './world/edits.js';
export * from './world/facts.js';
export * from './world/perturb.js';
export * from './world/render.js';
export * from './world/rng.js';
export * from './world/sample.js';
export * from './world/scene.js';
export * from './world/spec.js';
export * from './world/tasks.js';
export { parseImage, toWorldSize, VERIFY_THRESHOLDS } from './world/verify.js';

/**
 * Writes an item as DIR/<id>/: item.json (segments, checks, scenes, image file names), sequence.txt
 * (the canonical text rendering) and each image as seg<i>.png (native size) plus seg<i>.x4.png (for viewing).
 */
export function writeItem(dir: string, item: TaskItem): string {
  const out = join(dir, item.id);
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const segments = item.segments.map((s, i) => {
    const { image, ...rest } = s;
    if (!image) return rest;
    const file = `seg${i}.png`;
    writePng(join(out, file), image.pixels);
    writePng(join(out, `seg${i}.x4.png`), upscale(image.pixels, 4));
    files.push(file);
    return { ...rest, image: file, scene: image.scene };
  });
  writeFileSync(
    join(out, 'item.json'),
    `${JSON.stringify({ id: item.id, task: item.task, split: item.split, segments }, null, 2)}\n`,
  );
  writeFileSync(join(out, 'sequence.txt'), `${renderSequence(item, (_, k) => files[k])}\n`);
  return out;
}
