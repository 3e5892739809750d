// The character sprite: a 16x16 pixel map per face shape and accessory, shared by the renderer, the
// verifier and the machine-readable spec (so an independent checker can draw the same pixels).
import type { Accessory, Face } from './spec.js';

/**
 * The character as 16 rows of 16 characters: '.' background, 's' skin, 'e' eye, 'b' body, 'a' accessory.
 * Rows 0-3 hold the accessory, 4-10 the face, 11-15 the body.
 */
export function characterArt(face: Face, accessory: Accessory): string[] {
  const g: string[][] = Array.from({ length: 16 }, () => new Array<string>(16).fill('.'));
  const fill = (r0: number, r1: number, c0: number, c1: number, ch: string) => {
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) g[r][c] = ch;
  };
  fill(4, 10, 3, 12, 's');
  if (face === 'round') {
    for (const r of [4, 10]) for (const c of [3, 4, 11, 12]) g[r][c] = '.';
    for (const r of [5, 9]) for (const c of [3, 12]) g[r][c] = '.';
  }
  fill(6, 7, 5, 6, 'e');
  fill(6, 7, 9, 10, 'e');
  fill(11, 15, 4, 11, 'b');
  if (accessory === 'hat') {
    fill(0, 2, 5, 10, 'a');
    fill(3, 3, 3, 12, 'a');
  } else if (accessory === 'crown') {
    fill(3, 3, 4, 11, 'a');
    for (const c0 of [4, 7, 10]) fill(1, 2, c0, c0 + 1, 'a');
  } else if (accessory === 'bow') {
    for (const c of [10, 11, 13, 14]) fill(1, 3, c, c, 'a');
    g[2][12] = 'a';
  }
  return g.map((row) => row.join(''));
}
