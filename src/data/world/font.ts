// The sign's pixel font: 26 capital letters, 5 columns x 7 rows, one letter per 8x8 token patch.
// Written by hand (not loaded from a font file) so the renderer and any independent checker agree to the pixel.
export const GLYPH_W = 5;
export const GLYPH_H = 7;

const ROWS: Record<string, string> = {
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '####. #...# #...# #...# #...# #...# ####.',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
};

/** Letter -> 7 rows of 5 booleans (true = ink). */
export const GLYPHS: Readonly<Record<string, readonly (readonly boolean[])[]>> = Object.freeze(
  Object.fromEntries(
    Object.entries(ROWS).map(([ch, s]) => [ch, s.split(' ').map((row) => [...row].map((c) => c === '#'))]),
  ),
);

export const LETTERS = Object.keys(ROWS).join('');

/** The glyph rows as strings ('#' ink, '.' plate), for the machine-readable spec. */
export function glyphStrings(): Record<string, string[]> {
  return Object.fromEntries(Object.entries(ROWS).map(([ch, s]) => [ch, s.split(' ')]));
}
