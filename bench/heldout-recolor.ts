// `npm run bench:heldout-recolor [MODEL_DIR]`: does the model draw a held-out colour-shape pair when the
// shape is already in the image? Every held-out pair (colour c, shape s) as one object (2 sizes x 3
// backgrounds x 3 cells), first drawn in a trained colour with the same shape and then recoloured to c by
// the edit instruction users write ("make the small orange triangle red"), greedy; beside it the same
// recolour into trained pairs (every trained pair, the same 18 placements) and text-to-image of the held-out
// pairs themselves. The drawn object is read by the verifier's parser: right, the asked colour in another
// shape, the asked shape in another colour (or left unchanged), or something else. A model that composes
// keeps the shape it is shown; a model whose drawing of a colour is tied to that colour's trained shapes
// redraws the shape even then.
import {
  applyEdit,
  BACKGROUNDS,
  describePrompt,
  type Edit,
  editInstruction,
  HELDOUT_PAIRS,
  isHeldoutPair,
  OBJECT_COLORS,
  type ObjectColor,
  parseImage,
  type RgbImage,
  renderScene,
  type Scene,
  SHAPES,
  type Shape,
  SIZES,
} from '../src/data/index.js';
import { editImage, generateImages } from '../src/infer/index.js';
import { defaultModelDir, loadModel } from '../src/model/index.js';

const CELLS = [0, 4, 8];
const OUTCOMES = ['right', 'asked colour, other shape', 'asked shape, other colour', 'other'] as const;
type Outcome = (typeof OUTCOMES)[number];

function outcome(img: RgbImage, cell: number, color: ObjectColor, shape: Shape): Outcome {
  const o = parseImage(img).objects.find((x) => x.cell === cell);
  if (!o) return 'other';
  if (o.color === color && o.shape === shape) return 'right';
  if (o.color === color) return 'asked colour, other shape';
  return o.shape === shape ? 'asked shape, other colour' : 'other';
}

function placements(color: ObjectColor, shape: Shape, from: ObjectColor): { before: Scene; edit: Edit }[] {
  const out: { before: Scene; edit: Edit }[] = [];
  for (const size of SIZES)
    for (const background of BACKGROUNDS)
      for (const cell of CELLS)
        out.push({
          before: { background, objects: [{ shape, color: from, size, cell }], sign: null, character: null },
          edit: { op: 'recolor', cell, color },
        });
  return out;
}

function main(): void {
  const modelDir = process.argv[2] ?? defaultModelDir();
  const { model, tok } = loadModel(modelDir);
  const t0 = performance.now();
  const tally = {
    heldout: new Map<Outcome, number>(),
    trained: new Map<Outcome, number>(),
    t2i: new Map<Outcome, number>(),
  };
  const count = (m: Map<Outcome, number>, o: Outcome) => m.set(o, (m.get(o) ?? 0) + 1);
  const pairs = OBJECT_COLORS.flatMap((c) => SHAPES.map((s) => [c, s] as const));
  let k = 0;
  for (const [color, shape] of pairs) {
    const heldout = isHeldoutPair(color, shape);
    // the colour it starts in: a trained pair of the same shape, cycling through them
    const froms = OBJECT_COLORS.filter((c) => c !== color && !isHeldoutPair(c, shape));
    for (const { before, edit } of placements(color, shape, froms[k++ % froms.length])) {
      const cell = (edit as { cell: number }).cell;
      const [img] = editImage(model, tok, renderScene(before), editInstruction(before, edit), { temperature: 0 });
      count(heldout ? tally.heldout : tally.trained, outcome(img, cell, color, shape));
      if (heldout) {
        const [drawn] = generateImages(model, tok, describePrompt(applyEdit(before, edit)), { temperature: 0 });
        count(tally.t2i, outcome(drawn, cell, color, shape));
      }
    }
  }
  const row = (name: string, m: Map<Outcome, number>) => {
    const n = [...m.values()].reduce((a, b) => a + b, 0);
    return `| ${name} (${n}) | ${OUTCOMES.map((o) => ((m.get(o) ?? 0) / n).toFixed(3)).join(' | ')} |`;
  };
  console.log(
    `model ${modelDir}; ${HELDOUT_PAIRS.length} held-out pairs, ${pairs.length - HELDOUT_PAIRS.length} trained; ` +
      `2 sizes x 3 backgrounds x 3 cells each; greedy; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  console.log(`| target | ${OUTCOMES.join(' | ')} |`);
  console.log(`|---|${OUTCOMES.map(() => '---').join('|')}|`);
  console.log(row('recolour into a held-out pair', tally.heldout));
  console.log(row('recolour into a trained pair', tally.trained));
  console.log(row('text-to-image of the held-out pair', tally.t2i));
}

main();
