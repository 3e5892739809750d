// The high-level API (`import { Tessera } from 'tessera'`): one object holding a loaded model, with a method
// per thing people do with it. Every method delegates to the library function that does the work
// (generateImages, editImage, answerText, Session.addTurn); nothing here samples or decodes on its own.
// Images come in as an RgbImage, PNG bytes or a PNG file path, all through the image boundary
// (decodePng / readPngRgba, then toModelSize: any square size is box-filtered to the model's size).
//
//   const t = Tessera.fromPretrained();          // the shipped model (defaultModelDir())
//   const [img] = t.generate('a red circle at the top left', { seed: 1 });
//   writeFileSync('out.png', toPng(img, 4));
import { join } from 'node:path';
import {
  decodePng,
  encodePng,
  ImageInputError,
  type RgbaImage,
  type RgbImage,
  readPngRgba,
  upscale,
} from './data/index.js';
import {
  answerText,
  type Engine,
  editImage,
  type GenerateOptions,
  generateImages,
  Session,
  type SessionJson,
  sessionShape,
  type Turn,
  type TurnOptions,
} from './infer/index.js';
import { defaultModelDir, loadModel, type ModelConfig } from './model/index.js';
import { type BackendInfo, backendReason, kernels } from './tensor/index.js';
import { toModelSize } from './tokenizers/index.js';
import { CHECKPOINT_DIR, fineTune } from './train/index.js';

/** An image as the API takes it: pixels, the bytes of a PNG file, or a PNG file's path. */
export type ImageInput = RgbImage | Uint8Array | string;

/** A session turn's input: text, or text and/or an image. */
export type SayInput = string | { text?: string; image?: ImageInput };

/** What `tessera.info` reports: where the model came from, its sizes, and the kernels that run it. */
export interface TesseraInfo {
  /** The model folder it was loaded from. */
  dir: string;
  /** Images are imageSize x imageSize RGB; each is grid x grid codes from a codebook of codebookSize. */
  imageSize: number;
  grid: number;
  codebookSize: number;
  /** Codes a patch: 1, or 2 for a two-code model (its shape, then its colours). */
  codesPerPatch: number;
  textVocabSize: number;
  /** The context, in tokens. */
  blockSize: number;
  layers: number;
  heads: number;
  embedding: number;
  /** Trained parameters of the transformer (the image tokenizer's are not counted). */
  parameters: number;
  /** 'native' (the C++ addon) or 'js' (the TypeScript kernels), and why that one. */
  backend: BackendInfo['backend'];
  backendReason: string;
}

/** PNG bytes of an image, each pixel repeated `scale` times in both directions (nearest neighbour). */
export function toPng(img: RgbImage, scale = 1): Buffer {
  if (!Number.isInteger(scale) || scale < 1 || scale > 64)
    throw new RangeError(`toPng: scale must be an integer in 1..64, got ${scale}`);
  return encodePng(scale === 1 ? img : upscale(img, scale));
}

/** A loaded model and the calls made on it. Build one with Tessera.fromPretrained(dir?) or loadTessera. */
export class Tessera {
  private constructor(
    /** The model and its tokenizers, for the lower-level functions (sampleTurn, planSteps, evaluate...). */
    readonly engine: Engine,
    private readonly dir: string,
  ) {}

  /** Loads a model folder (default: the shipped model); a bad folder is refused with a CheckpointError. */
  static fromPretrained(dir: string = defaultModelDir()): Tessera {
    const { model, tok } = loadModel(dir);
    return new Tessera({ model, tok }, dir);
  }

  get info(): TesseraInfo {
    const { model, tok } = this.engine;
    const c: Readonly<ModelConfig> = model.config;
    return {
      dir: this.dir,
      imageSize: tok.image.imageSize,
      grid: tok.image.grid,
      codebookSize: tok.image.codebookSize,
      codesPerPatch: tok.image.codesPerPatch ?? 1,
      textVocabSize: c.textVocabSize,
      blockSize: c.blockSize,
      layers: c.nLayer,
      heads: c.nHead,
      embedding: c.nEmbd,
      parameters: model.params.count(),
      backend: kernels().info().backend,
      backendReason: backendReason(),
    };
  }

  /** Images for a text prompt: `n` variants (default 1) decoded as one batch; see GenerateOptions. */
  generate(prompt: string, o: GenerateOptions = {}): RgbImage[] {
    return generateImages(this.engine.model, this.engine.tok, prompt, o);
  }

  /** The image edited by an instruction (greedy unless a temperature is given). */
  edit(image: ImageInput, instruction: string, o: GenerateOptions = {}): RgbImage[] {
    return editImage(this.engine.model, this.engine.tok, this.image(image), instruction, o);
  }

  /** The model's text answer to a question about an image (one text-only turn). */
  ask(image: ImageInput, question: string, o: TurnOptions = {}): string {
    return answerText(this.engine, this.image(image), question, o);
  }

  /** A new multi-turn session on this model; `seed` fixes its sampling. */
  session(seed = 0): TesseraSession {
    return new TesseraSession(this, new Session(undefined, seed));
  }

  /** A session restored from toJSON()'s object, checked against this model's sizes (SessionFileError). */
  resume(json: unknown, where = 'session'): TesseraSession {
    return new TesseraSession(this, Session.fromJSON(json, where, sessionShape(this.engine)));
  }

  /** An image input as the model's RgbImage (the image boundary; square images of any size are resized). */
  image(input: ImageInput): RgbImage {
    const size = this.engine.tok.image.imageSize;
    let rgba: RgbaImage;
    let source: string;
    if (typeof input === 'string') {
      rgba = readPngRgba(input);
      source = input;
    } else if (input instanceof Uint8Array) {
      rgba = decodePng(input, 'PNG bytes');
      source = 'PNG bytes';
    } else if (isRgbImage(input)) {
      if (input.width === size && input.height === size) return input;
      rgba = withAlpha(input);
      source = 'image';
    } else
      throw new ImageInputError('image', 'expected an RgbImage {width, height, data}, PNG bytes or a PNG file path');
    const { pixels } = toModelSize(rgba, size, source);
    return { width: size, height: size, data: pixels };
  }

  // ---- fine-tuning ------------------------------------------------------------------------------------

  /**
   * Fine-tunes this model on a user's JSONL manifest (captions, edit pairs, questions: docs/data.md) mixed
   * with the world's tasks at `dataRatio`, through train's fineTune (the run is in `out`, resumable with
   * `tessera train --resume OUT`). Returns the fine-tuned model; this one is unchanged.
   */
  fineTune(data: string, o: TesseraFineTuneOptions): Tessera {
    const overrides: Record<string, unknown> = { ...o.overrides };
    if (o.steps !== undefined) overrides.steps = o.steps;
    fineTune({
      data,
      init: this.dir,
      out: o.out,
      dataRatio: o.dataRatio,
      minutes: o.minutes,
      preset: o.preset,
      overrides,
      quiet: o.quiet,
      force: o.force,
    });
    return Tessera.fromPretrained(join(o.out, CHECKPOINT_DIR));
  }
}

export interface TesseraFineTuneOptions {
  /** The run folder (checkpoint, metrics.jsonl, curves). */
  out: string;
  /** Fraction of training items from the user's data (default 0.5). */
  dataRatio?: number;
  /** A time budget, or a number of steps. */
  minutes?: number;
  steps?: number;
  /** Training preset (default 'default') and config overrides (lr, warmup, ...; validated). */
  preset?: string;
  overrides?: Record<string, unknown>;
  quiet?: boolean;
  /** Replace a run already in `out`. */
  force?: boolean;
}

/** Tessera.fromPretrained under the name other libraries use for the same call. */
export function loadTessera(dir?: string): Tessera {
  return Tessera.fromPretrained(dir);
}

/** A multi-turn session bound to a model: a tree of turns with undo and branching (infer's Session). */
export class TesseraSession {
  constructor(
    private readonly tessera: Tessera,
    /** The library session underneath (turn tree, head, JSON). */
    readonly session: Session,
  ) {}

  get id(): string {
    return this.session.id;
  }

  /** The turn the next one follows (null: the start). */
  get head(): number | null {
    return this.session.head;
  }

  /** The turns from the first to the head (the current line). */
  get turns(): Turn[] {
    return this.session.path();
  }

  /** Adds a turn after the head: text, or {text, image}; `mode` says whether the model must draw or answer. */
  say(input: SayInput, o: TurnOptions = {}): Turn {
    const turn =
      typeof input === 'string'
        ? { text: input }
        : {
            ...(input.text !== undefined ? { text: input.text } : {}),
            ...(input.image !== undefined ? { image: this.tessera.image(input.image) } : {}),
          };
    return this.session.addTurn(this.tessera.engine, turn, o);
  }

  /** Moves the head back one turn; returns the new head (null = the start). */
  undo(): number | null {
    return this.session.undo();
  }

  /** Continues from an earlier turn (null = from the start). */
  branch(turnId: number | null): void {
    this.session.branch(turnId);
  }

  /** The newest image on the current line (the model's or the user's), or null. */
  lastImage(): RgbImage | null {
    return this.session.lastImage();
  }

  /** The session as JSON (images as base64 PNG); Tessera.resume(json) restores it. */
  toJSON(): SessionJson {
    return this.session.toJSON();
  }
}

function isRgbImage(x: unknown): x is RgbImage {
  const i = x as Partial<RgbImage> | null;
  return (
    typeof i === 'object' &&
    i !== null &&
    Number.isInteger(i.width) &&
    Number.isInteger(i.height) &&
    i.data instanceof Uint8Array
  );
}

/** An RGB image as opaque RGBA, so another square size goes through toModelSize like a file does. */
function withAlpha(img: RgbImage): RgbaImage {
  const n = img.width * img.height;
  if (img.data.length !== n * 3)
    throw new ImageInputError('image', `${img.width}x${img.height} RGB needs ${n * 3} bytes, got ${img.data.length}`);
  const data = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    data.set(img.data.subarray(i * 3, i * 3 + 3), i * 4);
    data[i * 4 + 3] = 255;
  }
  return { width: img.width, height: img.height, data };
}
