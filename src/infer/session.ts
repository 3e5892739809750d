// Multi-turn sessions: a tree of turns (each turn a user input and the model's reply), a head that says
// which turn the next one follows, branching and undo by moving the head, and a JSON form (images as PNG,
// base64) that restores exactly. The library API under `tessera chat` (and the server, when it lands).
//
// Context: the model sees the path from the first turn to the head, in the one sequence format, then the
// new input. When that does not fit the block, the oldest turns are dropped and the newest image among
// them is carried into the first kept turn as a user image, so an edit always sees the picture it edits
// (the same shape as the chains and single edits the model was trained on).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodePng,
  encodePng,
  ImageInputError,
  type ImageRef,
  modelImage,
  modelText,
  parsePrompt,
  type RgbImage,
  type Segment,
  userImage,
  userText,
} from '../data/index.js';
import type { MultimodalModel, Tokenizers } from '../model/index.js';
import { Rng } from '../tensor/index.js';
import { codesPerImage } from '../tokenizers/index.js';
import { checkModelImage, decoded, drawCodes, RequestInputError, turnPrompt } from './generate.js';
import { DESCRIBE, describeImage, hasSign, READ_SIGN, readingText, readSign } from './reading.js';
import { DEFAULT_SHAPE, SESSION_LIMITS, SessionFileError, type SessionShape } from './session-file.js';

export { SESSION_LIMITS, SessionFileError, type SessionShape, sessionShape } from './session-file.js';

import { DEFAULT_GUIDANCE, type PrefixCache, type Prompt, type SampleOptions, sampleTurn } from './sample.js';

/** Reads a session file (size-checked before it is read), parses and validates it. */
export function readSessionFile(file: string, shape: Partial<SessionShape> = {}): Session {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new SessionFileError(
      file,
      `unknown session: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  if (size > SESSION_LIMITS.maxFileBytes)
    throw new SessionFileError(file, `file is ${size} bytes (limit ${SESSION_LIMITS.maxFileBytes})`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SessionFileError(file, `not a session file (not valid JSON: ${(e as Error).message})`);
  }
  return Session.fromJSON(json, file, shape);
}

export interface Engine {
  model: MultimodalModel;
  tok: Tokenizers;
}

export interface TurnInput {
  text?: string;
  image?: RgbImage;
}

/** A model image keeps the codes it was drawn from: the next turns' context uses them as they are. */
export type TurnOutput = { kind: 'text'; text: string } | { kind: 'image'; image: RgbImage; codes?: Int32Array };

export interface Turn {
  id: number;
  /** The turn this one follows (null: the first turn of its branch from the start). */
  parent: number | null;
  input: TurnInput;
  output: TurnOutput[];
}

export interface TurnOptions {
  /** 'auto': the model decides (text, image or both); 'image': it must draw; 'text': it must answer in text. */
  mode?: 'auto' | 'image' | 'text';
  /** Guidance scale for image codes (default: DEFAULT_GUIDANCE). */
  guidance?: number;
  /** Image scale of two-scale guidance (1 = off): pulls the drawing toward the context's images. */
  imageGuidance?: number;
  /** 0 = greedy (default). */
  temperature?: number;
  /** Models with KEEP: lowers its logit (SampleOptions.keepBias; default DEFAULT_KEEP_BIAS). */
  keepBias?: number;
  onProgress?: SampleOptions['onProgress'];
  /** The text tokens the reply may write (SampleOptions.textTokens; undefined: any). */
  textTokens?: ReadonlySet<number>;
  /** What the model sees of the session (default DEFAULT_HISTORY): only the latest image and the new
   *  input ('last-image': each turn acts on the picture as it is now), or every turn that fits. */
  history?: History;
  /** The two questions reading ranks (default true): "describe the image." and "what does the sign say?"
   *  about the latest image are answered by describeImage and readSign (candidates ranked by the model
   *  reading both ways) instead of by one greedy reply; the sign question by NO_SIGN when the model
   *  reads no sign on the image (hasSign). Off for a sampled reply (temperature > 0), a
   *  restricted one (textTokens) and a turn that must draw. */
  read?: boolean;
  /** > 1: a turn that draws a first picture (no image in its input or on its path, and the model sees only
   *  the new input: history 'last-image' or an empty path; mode 'image', or 'auto' with a prompt that
   *  describes a whole scene) draws this many candidates (at `temperature`, default 0.7) and keeps the one
   *  the model reads back as the prompt (drawCodes, as `generate --candidates` and `eval --candidates`
   *  do). Edits and answers are not ranked: the option leaves them as they are. Default 1. */
  candidates?: number;
}

/** The answer to the sign question about an image the model reads no sign on (hasSign). */
export const NO_SIGN = 'there is no sign.';

/** Which ranked reading answers this text ("describe the image." or "what does the sign say?", in any
 *  case, the final full stop or question mark optional), or null. */
export function readingQuestion(text: string | undefined): 'caption' | 'sign' | null {
  const norm = (q: string) =>
    q
      .trim()
      .toLowerCase()
      .replace(/\s+/g, ' ')
      .replace(/\s*[.?!]$/, '');
  const t = norm(text ?? '');
  return t === norm(DESCRIBE) ? 'caption' : t === norm(READ_SIGN) ? 'sign' : null;
}

export type History = 'dialogue' | 'last-image';
/**
 * Turns see the latest image and their own input. Measured (`tessera eval-dialogue --parts chain --n 100
 * [--history dialogue]`, held-out, the `longer` model): 5-turn chains with every turn right 0.22 against
 * 0.04 with the whole dialogue (0.19 of 300; the `longest` model that ships now 0.27 of 300), turns right
 * 0.43 against 0.31; the model's single edits are its better-trained skill, and a long dialogue of its own
 * imperfect drawings is a context it saw less of.
 */
export const DEFAULT_HISTORY: History = 'last-image';

export class UnknownSessionError extends Error {}
export class UnknownTurnError extends Error {}

const SESSION_FORMAT = 'tessera-session';
const SESSION_VERSION = 1;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export class Session {
  private readonly turns = new Map<number, Turn>();
  private nextId = 1;
  /** The turn the next one follows (null = the start). */
  head: number | null = null;
  /** The KV cache of the last turn's context and reply: the next turn feeds only what is new after the
   *  common prefix (after undo or a branch, the prefix up to where the paths part). Not serialized. */
  private prefix: PrefixCache | null = null;

  constructor(
    readonly id: string = randomUUID(),
    readonly seed = 0,
  ) {
    if (!ID_PATTERN.test(id)) throw new Error(`session id "${id}" must be 1-64 letters, digits, "-" or "_"`);
  }

  /** Every turn of every branch, in creation order. */
  get allTurns(): Turn[] {
    return [...this.turns.values()];
  }

  turn(id: number): Turn {
    const t = this.turns.get(id);
    if (!t)
      throw new UnknownTurnError(
        `session ${this.id} has no turn ${id} (turns: ${[...this.turns.keys()].join(', ') || 'none'})`,
      );
    return t;
  }

  /** The turns from the first to `id` (default: the head). */
  path(id: number | null = this.head): Turn[] {
    const out: Turn[] = [];
    for (let t = id === null ? null : this.turn(id); t; t = t.parent === null ? null : this.turn(t.parent))
      out.unshift(t);
    return out;
  }

  /** The newest image on the path to the head (the model's or the user's), or null. */
  lastImage(): RgbImage | null {
    return latestImage(this.path())?.pixels ?? null;
  }

  /** Continue from an earlier turn (null = from the start): the next turn becomes its child. */
  branch(from: number | null): void {
    if (from !== null) this.turn(from);
    this.head = from;
  }

  /** Moves the head back one turn; returns the new head (null = the start). */
  undo(): number | null {
    if (this.head === null) throw new Error('nothing to undo: the session is at its start');
    this.head = this.turn(this.head).parent;
    return this.head;
  }

  /** Adds a turn after the head: the model answers `input` with the path as context. */
  addTurn(engine: Engine, input: TurnInput, o: TurnOptions = {}): Turn {
    checkInput(engine, input);
    const mode = o.mode ?? 'auto';
    const question = readingQuestion(input.text);
    const image = input.image ? { pixels: input.image } : latestImage(this.path());
    const seed = this.seed * 100003 + this.nextId; // every turn's draws, sampled or ranked
    if ((o.read ?? true) && question && image && mode !== 'image' && !o.temperature && !o.textTokens) {
      const { model, tok } = engine;
      let text: string;
      if (question === 'caption') text = describeImage(model, tok, image, { seed }).caption;
      else {
        const read = readSign(model, tok, image, { seed });
        text = hasSign(model, tok, image, read.word, read.described) ? read.word : NO_SIGN;
      }
      return this.record(input, [{ kind: 'text', text }]);
    }
    const guidance = o.guidance ?? DEFAULT_GUIDANCE;
    const imageGuidance = o.imageGuidance ?? 1;
    const candidates = o.candidates ?? 1;
    if (!Number.isInteger(candidates) || candidates < 1 || candidates > 64)
      throw new RequestInputError(`candidates must be an integer in 1..64, got ${candidates}`);
    if (candidates > 1 && this.drawsFirstPicture(input, image, mode, o.history ?? DEFAULT_HISTORY)) {
      const [codes] = drawCodes(
        engine.model,
        engine.tok,
        [userText(input.text!)],
        {
          n: 1,
          candidates,
          guidance,
          imageGuidance,
          temperature: o.temperature || undefined,
          keepBias: o.keepBias,
          seed,
          onProgress: o.onProgress,
        },
        readingText(input.text!),
      );
      return this.record(input, [{ kind: 'image', image: decoded(engine.tok, [codes])[0], codes }]);
    }
    const guided = guidance !== 1 || imageGuidance !== 1;
    const { cond, uncond, bare } = contextPrompts(
      engine,
      this.path(),
      input,
      mode,
      guided,
      imageGuidance !== 1,
      (o.history ?? DEFAULT_HISTORY) === 'last-image',
    );
    if (this.prefix?.model !== engine.model)
      this.prefix = { model: engine.model, ids: [], caches: engine.model.newCache(1), reused: 0, fed: 0 };
    const gen = sampleTurn(
      engine.model,
      engine.tok,
      cond,
      uncond,
      {
        reuse: this.prefix,
        guidance,
        imageGuidance,
        temperature: o.temperature ?? 0,
        keepBias: o.keepBias,
        rng: new Rng(seed),
        onImage: mode === 'text' ? 'forbid' : 'draw',
        maxImages: mode === 'image' ? 1 : undefined,
        onProgress: o.onProgress,
        textTokens: o.textTokens,
      },
      bare,
    );
    const output: TurnOutput[] = gen.segments.map((s) =>
      s.kind === 'text'
        ? { kind: 'text', text: s.text }
        : { kind: 'image', image: decoded(engine.tok, [s.codes])[0], codes: s.codes },
    );
    return this.record(input, output);
  }

  /** Whether a turn with this input draws a first picture from its text alone (TurnOptions.candidates). */
  private drawsFirstPicture(
    input: TurnInput,
    /** The turn's image, or the latest on its path. */
    image: ImageRef | null,
    mode: TurnOptions['mode'],
    history: History,
  ): boolean {
    if (!input.text?.trim() || image || (history !== 'last-image' && this.head !== null)) return false;
    return mode === 'image' || (mode === 'auto' && parsePrompt(input.text).complete);
  }

  /** Tokens the last turn took from the kept KV cache, and tokens it had to feed. */
  get cacheStats(): { reused: number; fed: number } {
    return { reused: this.prefix?.reused ?? 0, fed: this.prefix?.fed ?? 0 };
  }

  /** Records a turn whose reply was made elsewhere (a restored turn, or a step run by a caller). */
  record(input: TurnInput, output: TurnOutput[]): Turn {
    const t: Turn = { id: this.nextId++, parent: this.head, input, output };
    this.turns.set(t.id, t);
    this.head = t.id;
    return t;
  }

  toJSON(): SessionJson {
    const png = (img: RgbImage) => encodePng(img).toString('base64');
    return {
      format: SESSION_FORMAT,
      version: SESSION_VERSION,
      id: this.id,
      seed: this.seed,
      head: this.head,
      turns: this.allTurns.map((t) => ({
        id: t.id,
        parent: t.parent,
        input: { text: t.input.text, image: t.input.image ? png(t.input.image) : undefined },
        output: t.output.map((o) =>
          o.kind === 'text'
            ? o
            : { kind: 'image' as const, image: png(o.image), ...(o.codes ? { codes: [...o.codes] } : {}) },
        ),
      })),
    };
  }

  /**
   * Restores a session from toJSON()'s object; every field is checked against `shape` (the model's image
   * size, grid and codebook; the world's 64 x 64, 8 x 8 and 2048 when not given) and a bad one named, before
   * anything is kept: a file that loads is one every later turn can use. Refusals are SessionFileErrors.
   */
  static fromJSON(json: unknown, where = 'session', shape: Partial<SessionShape> = {}): Session {
    const sh = { ...DEFAULT_SHAPE, ...shape };
    const fail = (msg: string, field?: string): never => {
      throw new SessionFileError(where, msg, field);
    };
    const j = json as Partial<SessionJson> | null;
    if (!j || typeof j !== 'object') return fail('not a JSON object');
    if (j.format !== SESSION_FORMAT) fail(`format is ${JSON.stringify(j.format)}, expected "${SESSION_FORMAT}"`);
    if (j.version !== SESSION_VERSION)
      fail(`version ${j.version} is not supported (this build reads ${SESSION_VERSION})`);
    if (typeof j.id !== 'string' || !ID_PATTERN.test(j.id)) fail(`bad id ${JSON.stringify(j.id)}`);
    if (!Number.isInteger(j.seed)) fail('seed must be an integer');
    if (!Array.isArray(j.turns)) return fail('turns must be an array');
    if (j.turns.length > SESSION_LIMITS.maxTurns)
      fail(`${j.turns.length} turns (limit ${SESSION_LIMITS.maxTurns})`, 'turns');
    const s = new Session(j.id!, j.seed!);
    const image = (b64: unknown, at: string): RgbImage => {
      if (typeof b64 !== 'string') return fail(`${at}: image must be a base64 PNG string`, at);
      const n = sh.imageSize;
      let rgba: ReturnType<typeof decodePng>;
      try {
        // an image of a session is the model's size: nothing larger is decoded
        rgba = decodePng(Buffer.from(b64, 'base64'), `${where}: ${at}`, { maxPixels: n * n });
      } catch (e) {
        return fail(`${at}: image is not a readable PNG (${e instanceof ImageInputError ? e.problem : 'damaged'})`, at);
      }
      if (rgba.width !== n || rgba.height !== n)
        fail(`${at}: image is ${rgba.width}x${rgba.height}; the model's images are ${n}x${n}`, at);
      const data = new Uint8Array(n * n * 3);
      for (let i = 0; i < n * n; i++) data.set(rgba.data.subarray(i * 4, i * 4 + 3), i * 3);
      return { width: n, height: n, data };
    };
    const text = (v: unknown, at: string): string => {
      if (typeof v !== 'string') return fail(`${at} must be a string`, at);
      if (v.length > SESSION_LIMITS.maxTextChars)
        fail(`${at} has ${v.length} characters (limit ${SESSION_LIMITS.maxTextChars})`, at);
      return v;
    };
    for (const [k, t] of j.turns.entries()) {
      const at = `turns[${k}]`;
      if (!t || typeof t !== 'object') fail(`${at} is not an object`, at);
      if (!Number.isInteger(t.id) || t.id < 1 || s.turns.has(t.id))
        fail(`${at}.id must be a new integer >= 1`, `${at}.id`);
      if (t.parent !== null && !s.turns.has(t.parent))
        fail(`${at}.parent ${t.parent} is not an earlier turn of the session`, `${at}.parent`);
      if (!t.input || typeof t.input !== 'object') fail(`${at}.input must be an object`, `${at}.input`);
      if (!Array.isArray(t.output)) fail(`${at}.output must be an array`, `${at}.output`);
      if (t.output.length > SESSION_LIMITS.maxOutputs)
        fail(`${at}.output has ${t.output.length} outputs (limit ${SESSION_LIMITS.maxOutputs})`, `${at}.output`);
      const g2 = sh.codesPerPatch * sh.grid * sh.grid;
      const turn: Turn = {
        id: t.id,
        parent: t.parent,
        input: {
          ...(t.input.text !== undefined ? { text: text(t.input.text, `${at}.input.text`) } : {}),
          ...(t.input.image !== undefined ? { image: image(t.input.image, `${at}.input.image`) } : {}),
        },
        output: t.output.map((o, i): TurnOutput => {
          const oat = `${at}.output[${i}]`;
          if (o?.kind === 'text') return { kind: 'text', text: text(o.text, `${oat}.text`) };
          if (o?.kind === 'image') {
            const img = image(o.image, oat);
            if (o.codes === undefined) return { kind: 'image', image: img };
            if (!Array.isArray(o.codes) || o.codes.length !== g2)
              fail(
                `${oat}.codes must be an array of ${g2} codes (the ${sh.grid}x${sh.grid} grid${sh.codesPerPatch > 1 ? `, ${sh.codesPerPatch} a patch` : ''})`,
                `${oat}.codes`,
              );
            if (!o.codes.every((c) => Number.isInteger(c) && c >= 0 && c < sh.codebookSize))
              fail(`${oat}.codes: every code must be an integer in [0, ${sh.codebookSize})`, `${oat}.codes`);
            return { kind: 'image', image: img, codes: Int32Array.from(o.codes) };
          }
          return fail(`${oat} must be {kind: "text", text} or {kind: "image", image}`, oat);
        }),
      };
      s.turns.set(turn.id, turn);
      s.nextId = Math.max(s.nextId, turn.id + 1);
    }
    if (j.head !== null && !s.turns.has(j.head as number)) fail(`head ${j.head} is not a turn of the session`, 'head');
    s.head = j.head ?? null;
    return s;
  }
}

export interface SessionJson {
  format: typeof SESSION_FORMAT;
  version: number;
  id: string;
  seed: number;
  head: number | null;
  turns: {
    id: number;
    parent: number | null;
    input: { text?: string; image?: string };
    output: ({ kind: 'text'; text: string } | { kind: 'image'; image: string; codes?: number[] })[];
  }[];
}

/** Sessions by id, kept in memory and, with a folder, saved there as ID.json (atomic write). */
export class SessionStore {
  private readonly live = new Map<string, Session>();

  constructor(
    private readonly dir: string | null = null,
    /** What loaded sessions must match (the serving model's sizes). */
    private readonly shape: Partial<SessionShape> = {},
  ) {
    if (dir) mkdirSync(dir, { recursive: true });
  }

  create(seed = 0): Session {
    const s = new Session(randomUUID(), seed);
    this.live.set(s.id, s);
    this.save(s);
    return s;
  }

  get(id: string): Session {
    const s = this.live.get(id) ?? this.load(id);
    if (!s)
      throw new UnknownSessionError(
        `unknown session "${id}"; HINT: create one first (sessions are ${this.dir ? `kept in ${this.dir}` : 'kept in memory only'})`,
      );
    return s;
  }

  has(id: string): boolean {
    return this.live.has(id) || (this.dir !== null && ID_PATTERN.test(id) && existsSync(this.file(id)));
  }

  /** Writes the session to the store's folder (no-op without one). */
  save(s: Session): void {
    if (!this.dir) return;
    const tmp = `${this.file(s.id)}.tmp`;
    writeFileSync(tmp, JSON.stringify(s.toJSON()));
    renameSync(tmp, this.file(s.id));
  }

  private file(id: string): string {
    return join(this.dir!, `${id}.json`);
  }

  private load(id: string): Session | null {
    if (!this.dir || !ID_PATTERN.test(id) || !existsSync(this.file(id))) return null;
    const s = readSessionFile(this.file(id), this.shape);
    this.live.set(id, s);
    return s;
  }
}

function checkInput(engine: Engine, input: TurnInput): void {
  const text = input.text?.trim() ?? '';
  if (text === '' && !input.image) throw new RequestInputError('a turn needs text, an image, or both; got neither');
  if (input.image) checkModelImage(engine.tok, input.image);
}

function turnSegments(t: { input: TurnInput; output: TurnOutput[] }): Segment[] {
  const segs: Segment[] = [];
  if (t.input.image) segs.push(userImage({ pixels: t.input.image }));
  if (t.input.text !== undefined && t.input.text.trim() !== '') segs.push(userText(t.input.text));
  for (const o of t.output)
    segs.push(o.kind === 'text' ? modelText(o.text) : modelImage({ pixels: o.image, codes: o.codes }));
  return segs;
}

/** The prompts for the next model turn (conditional, and with every user text dropped for guidance). */
export function contextPrompts(
  engine: Engine,
  path: readonly Turn[],
  input: TurnInput,
  mode: TurnOptions['mode'] = 'auto',
  /** Build the unconditional prompt too (only guidance uses it). */
  guided = true,
  /** Build the bare prompt too (every image and user text dropped; only image guidance uses it). */
  withBare = false,
  /** Only the path's latest image, not its turns (TurnOptions.history 'last-image'). */
  lastImageOnly = false,
): { cond: Prompt; uncond: Prompt | null; bare: Prompt | null } {
  const { tok, model } = engine;
  const reserve = mode === 'text' ? 48 : codesPerImage(tok.image) + 4;
  for (let from = lastImageOnly ? path.length : 0; from <= path.length; from++) {
    const kept = path.slice(from);
    const segs: Segment[] = [];
    const carried = latestImage(path.slice(0, from));
    const first = kept[0] ?? { input, output: [] };
    if (carried && !first.input.image) segs.push(userImage(carried));
    for (const t of kept) segs.push(...turnSegments(t));
    segs.push(...turnSegments({ input, output: [] }));
    const cond = turnPrompt(segs, tok, false, mode === 'image');
    if (cond.ids.length + reserve <= model.config.blockSize)
      return {
        cond,
        uncond: guided ? turnPrompt(segs, tok, true, mode === 'image') : null,
        bare: withBare
          ? turnPrompt(
              segs.filter((x) => x.kind !== 'image'),
              tok,
              true,
              mode === 'image',
            )
          : null,
      };
  }
  throw new RequestInputError(
    `the input alone does not fit the model's context of ${model.config.blockSize} tokens; shorten the text`,
  );
}

function latestImage(turns: readonly Turn[]): ImageRef | null {
  for (let k = turns.length - 1; k >= 0; k--) {
    const t = turns[k];
    const imgs = t.output.filter((o) => o.kind === 'image');
    const last = imgs[imgs.length - 1];
    if (last?.kind === 'image') return { pixels: last.image, codes: last.codes };
    if (t.input.image) return { pixels: t.input.image };
  }
  return null;
}
