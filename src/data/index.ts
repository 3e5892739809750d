// The data layer's public face: the scene world (spec, sampler, renderer, verifier), tasks in the one
// sequence format, emoji images, user manifests, and writing items to disk for people to look at.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { upscale, writePng } from './png.js';
import { renderSequence, type TaskItem } from './sequence.js';

// Emoji images (openly licensed sheets), their index and tasks
export {
  EMOJI_SHEET_SIZE,
  EMOJI_VENDORS,
  type EmojiImageRef,
  type EmojiRecord,
  EmojiSheets,
  type EmojiVendor,
  emojiCaption,
  emojiItems,
  emojiPackageRoot,
  isHeldoutEmoji,
  loadEmojiIndex,
  SKIN_TONES,
} from './emoji/emoji.js';
// Evaluation items (held-out or fresh training combinations)
export { evaluationItems, factorItems } from './evaluation.js';
// A user's own images: JSONL manifests, validated line by line (and emoji written as one)
export { writeEmojiManifest } from './manifest/emoji-manifest.js';
export {
  formatProblems,
  type LoadOptions as ManifestLoadOptions,
  loadManifest,
  MANIFEST_LIMITS,
  type ManifestEntry,
  type ManifestProblem,
  type ManifestResult,
  validateManifest,
} from './manifest/manifest.js';
// PNG files: the image-input boundary (limits, ImageInputError), writing, resampling, nearest upscales
export {
  checkPng,
  decodePng,
  encodePng,
  encodePngAt,
  fitOnBackground,
  flatten,
  ImageInputError,
  type ImageLimits,
  imageLimits,
  isPng,
  type PngHeader,
  type RgbaImage,
  readImageBytes,
  readPng,
  readPngRgba,
  resampleArea,
  UPSCALE_FACTORS,
  upscale,
  writePng,
} from './png.js';
// The sequence format: segments, task items, their canonical rendering
export {
  type Check,
  type ImageRef,
  MARKERS,
  modelImage,
  modelText,
  type Role,
  renderSequence,
  type Segment,
  TASK_KINDS,
  type TaskItem,
  type TaskKind,
  TRAINING_AID_TASKS,
  userImage,
  userText,
  validateItem,
  WORLD_TASKS,
} from './sequence.js';
// The verifier: scenes compared, preservation, sign words
export {
  compareScenes,
  inRegion,
  levenshtein,
  MISMATCH_KINDS,
  type Mismatch,
  type MismatchKind,
  preservation,
  type Verdict,
  verifyImage,
  wordMetrics,
} from './world/compare.js';
// Edits of scenes: operations, instructions, regions
export {
  applyEdit,
  EDIT_OPS,
  type Edit,
  editInstruction,
  editRegions,
  possibleOps,
  refer,
  sampleEdit,
} from './world/edits.js';
// Text-only facts (for knowledge transfer)
export {
  FACTS,
  type Fact,
} from './world/facts.js';
// Prompts: the tolerant reader of text-to-image prompts and edit instructions (docs/prompts.md)
export {
  type InstructionParse,
  instructionForModel,
  parseInstruction,
  turnTextForModel,
} from './world/instruction.js';
// Perturbations (for verifier tests)
export {
  addNoise,
  blur,
  jitterEdges,
  shift,
  strayPixels,
} from './world/perturb.js';
export {
  type PromptParse,
  parsePrompt,
  promptForModel,
} from './world/prompt.js';
// Questions in other phrasings, and the forms kept out of training
export {
  type Asked,
  allRephrased,
  type QuestionForm,
  sampleRephrased,
  UNTRAINED_FORMS,
  type UntrainedForm,
} from './world/questions.js';
// The renderer
export {
  accessoryRect,
  blankImage,
  cellOrigin,
  cellRect,
  characterArt,
  cloneImage,
  fullRect,
  renderScene,
  shapeMask,
  signRect,
} from './world/render.js';
// The world's seeded RNG and hash
export { hash32 } from './world/rng.js';
// Scene sampling and the held-out split
export {
  DEFAULT_SCENE_OPTIONS,
  type SceneOptions,
  type Split,
  sampleCharacter,
  sampleObject,
  sampleScene,
  sampleWord,
  sceneSplit,
  trainWords,
} from './world/sample.js';
// Scenes and their descriptions
export {
  type Character,
  caption,
  characterPhrase,
  cloneScene,
  describePrompt,
  type Identity,
  normalizeScene,
  objectPhrase,
  occupiedCells,
  type Rect,
  type RgbImage,
  type Scene,
  type SceneObject,
} from './world/scene.js';
// The world spec: palette, shapes, cells, words, held-out pairs
export {
  ACCESSORIES,
  ACCESSORY_COLOR,
  type Accessory,
  BACKGROUNDS,
  type Background,
  BODY_COLORS,
  type BodyColor,
  CELL,
  CELL_NAMES,
  CHARACTER_LAYOUT,
  EYE_COLORS,
  type EyeColor,
  FACES,
  type Face,
  GLYPH_DX,
  GLYPH_DY,
  GRID_ORIGIN,
  HELDOUT_IDENTITIES,
  HELDOUT_PAIRS,
  HELDOUT_WORDS,
  IMAGE_SIZE,
  identityKey,
  isHeldoutIdentity,
  isHeldoutPair,
  isHeldoutWord,
  OBJECT_COLORS,
  type ObjectColor,
  PALETTE,
  PALETTE_NAMES,
  PATCH,
  type PaletteName,
  SHAPES,
  type Shape,
  SIGN_INK,
  SIGN_PLATE,
  SIGN_Y,
  SIZE_PX,
  SIZES,
  type Size,
  signStartCol,
  TOKENS_PER_SIDE,
  WORD_MAX,
  WORD_MIN,
  WORDS,
  worldSpec,
} from './world/spec.js';
// World tasks as items
export {
  itemSceneSplit,
  makeWorldItem,
  makeWorldItems,
  sampleChain,
  sampleQuestion,
  type WorldTask,
} from './world/tasks.js';
// Reading images back into scenes
export {
  nearestColor,
  type ObjectFit,
  parseImage,
  parseImageFits,
  toWorldSize,
  VERIFY_THRESHOLDS,
  wellFormed,
} from './world/verify.js';

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
