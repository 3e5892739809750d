// The writes of the store crash test, planned from a seed: the child (store-writer.ts) makes them and the
// parent (test/serve/store-crash.test.ts) recomputes them to check what survived a kill -9. Iteration i
// writes an image, a request whose outputs are that image, turn i of the session and a rating of request i.
import type { RequestRecord, StoredTurn } from '../../src/serve/store/index.js';
import { rgbaPng } from './png.js';

export const CRASH_SESSION = 'crash-session';

/** A small deterministic mix of (seed, i) into 32 bits. */
function mix(seed: number, i: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export function plannedImage(seed: number, i: number): Buffer {
  return rgbaPng(1 + (i % 5), 1 + (mix(seed, i) % 4), undefined, mix(seed, i + 1000) % 256);
}

export function plannedRequest(seed: number, i: number, image: string): Omit<RequestRecord, 'createdAt'> {
  const n = 1 + (mix(seed, i) % 3);
  return {
    id: `crash-request-${i}`,
    endpoint: 'images.generations',
    model: 'tessera-test',
    seed: mix(seed, i),
    prompt: `picture ${i}`,
    params: { n, i },
    outputs: Array.from({ length: n }, () => image),
    ms: i,
  };
}

/** Turn i: follows a seeded earlier turn (a tree, not a chain), with 1 to 3 outputs of both kinds. */
export function plannedTurn(seed: number, i: number, image: string): Omit<StoredTurn, 'createdAt'> {
  const outputs = 1 + (mix(seed, i + 2000) % 3);
  return {
    id: i,
    parent: i === 0 ? null : mix(seed, i + 3000) % i,
    input: { text: `turn ${i}` },
    output: Array.from({ length: outputs }, (_, k) =>
      k % 2 === 0
        ? { kind: 'image' as const, image, codes: [i, k] }
        : { kind: 'text' as const, text: `answer ${i}.${k}` },
    ),
  };
}
