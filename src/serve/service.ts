// What the server does, apart from the shapes it is asked in: draw (generate, edit, variations), sessions
// (turns, undo, branch, export/import) and feedback, over the model host and the store. The OpenAI, Gemini
// and session routes are thin translations onto these calls, so every endpoint records its request the
// same way (images once by hash, the model and seed kept) and feedback can point at any of them.
import { randomUUID } from 'node:crypto';
import { encodePng, type RgbImage, turnTextForModel } from '../data/index.js';
import { type Progress, Session, type SessionJson } from '../infer/index.js';
import type { JobOptions, ModelHost } from './host.js';
import type { ServeLimits } from './http.js';
import { applyMask, type ModelImage, RequestError } from './images.js';
import type { JobResult, ModelInfo } from './protocol.js';
import type { FeedbackInput, FeedbackRecord, ImageHash, Store, StoredSession, StoredTurn } from './store/types.js';

export interface DrawRequest {
  endpoint: string;
  model: string;
  /** As the user wrote it (recorded), and as sent to the model (default: the same). */
  prompt: string;
  sent?: string;
  n: number;
  seed: number;
  temperature: number;
  guidance: number;
  topK?: number;
  topP?: number;
  /** Text to image: draw this many (>= n) and keep the n the model reads most as the prompt (default n). */
  candidates?: number;
  /** Edits: the input image (already at the model's size) and optionally the editable region. */
  image?: ModelImage;
  mask?: Uint8Array;
  imageGuidance?: number;
  /** Partial images per variant to stream (0 = none). */
  partials?: number;
  /** Recorded with the request (size, response format, ...). */
  params?: Record<string, unknown>;
}

export interface Drawn {
  requestId: string;
  /** Each variant's pixels, its PNG (the stored bytes) and their hash. */
  images: { rgb: RgbImage; png: Buffer; hash: ImageHash }[];
  ms: number;
}

export interface TurnRequest {
  text?: string;
  image?: ModelImage;
  mode?: 'auto' | 'image' | 'text';
  guidance?: number;
  imageGuidance?: number;
  temperature?: number;
  /** A first picture drawn this many ways and the one the model reads back as its prompt kept
   *  (TurnOptions.candidates; default 1). */
  candidates?: number;
  /** Send the text as written (default: an instruction or prompt in the trained phrasing; turnText). */
  raw?: boolean;
}

/** What a turn's text was and what the model was sent (the images endpoints' `prompt` field). */
export interface SentText {
  asked: string;
  sent: string;
  canonicalized: boolean;
  notices: string[];
}

export interface TurnDone {
  requestId: string;
  session: StoredSession;
  turn: StoredTurn;
  cache: { reused: number; fed: number };
  /** The turn's text as asked and as sent (null: the turn had no text). */
  prompt: SentText | null;
}

/**
 * What the model is sent for a turn's text (turnTextForModel, against the turn's image or the latest one on
 * the session's path, read by the library's own Session.lastImage); a text-only turn (a question) and
 * `raw` go as written. The stored turn holds what was sent, so later turns see it as context.
 */
function turnText(json: SessionJson, m: ModelInfo, input: TurnRequest): SentText {
  const asked = input.text!;
  if (input.raw || input.mode === 'text') return { asked, sent: asked, canonicalized: false, notices: [] };
  const shape = { imageSize: m.imageSize, grid: m.grid, codebookSize: m.codebookSize, codesPerPatch: m.codesPerPatch };
  const image = input.image?.image ?? Session.fromJSON(json, `session ${json.id}`, shape).lastImage();
  const read = turnTextForModel(asked, image);
  return { asked, sent: read.text, canonicalized: read.canonicalized, notices: read.notices };
}

export class Service {
  readonly byId: Map<string, ModelInfo>;

  constructor(
    readonly host: ModelHost,
    readonly store: Store,
    readonly models: ModelInfo[],
    readonly limits: ServeLimits,
  ) {
    this.byId = new Map(models.map((m) => [m.id, m]));
  }

  get defaultModel(): ModelInfo {
    return this.models[0];
  }

  /** The model a request names (default: the first served), or a 404 naming the served ones. */
  model(id: string | undefined, field = 'model'): ModelInfo {
    if (id === undefined || id === '') return this.defaultModel;
    const m = this.byId.get(id);
    if (!m)
      throw new RequestError(
        `${field}: unknown model "${id}"; served: ${this.models.map((x) => x.id).join(', ')}`,
        field,
        404,
        'model_not_found',
      );
    return m;
  }

  async draw(r: DrawRequest, onProgress?: JobOptions['onProgress']): Promise<Drawn> {
    const m = this.model(r.model);
    const t0 = performance.now();
    const common = {
      model: m.id,
      n: r.n,
      seed: r.seed,
      temperature: r.temperature,
      guidance: r.guidance,
      partials: r.partials ?? 0,
    };
    const result = await this.host.submit(
      r.image
        ? {
            ...common,
            kind: 'edit',
            prompt: r.sent ?? r.prompt,
            image: r.image.image.data,
            imageGuidance: r.imageGuidance ?? 1,
          }
        : {
            ...common,
            kind: 'generate',
            prompt: r.sent ?? r.prompt,
            topK: r.topK ?? 0,
            topP: r.topP ?? 1,
            candidates: r.candidates ?? r.n,
          },
      { onProgress },
    );
    const size = m.imageSize;
    // the worker's PNG is stored as it is; a masked edit's composite is encoded here
    const drawn = images(result).map((d) => {
      const rgb: RgbImage = { width: size, height: size, data: d.rgb };
      if (!(r.image && r.mask)) return { rgb, png: Buffer.from(d.png) };
      const masked = applyMask(r.image.image, rgb, r.mask);
      return { rgb: masked, png: pngOf(masked) };
    });
    const hashes = await Promise.all(drawn.map((img) => this.store.putImage(img.png)));
    const inputImage = r.image ? await this.store.putImage(pngOf(r.image.image)) : undefined;
    const requestId = `req_${randomUUID()}`;
    const ms = performance.now() - t0;
    await this.store.recordRequest({
      id: requestId,
      endpoint: r.endpoint,
      model: m.id,
      seed: r.seed,
      prompt: r.prompt,
      inputImage,
      params: {
        n: r.n,
        temperature: r.temperature,
        guidance: r.guidance,
        ...(r.image
          ? { imageGuidance: r.imageGuidance ?? 1, masked: r.mask !== undefined }
          : { topK: r.topK ?? 0, topP: r.topP ?? 1 }),
        ...r.params,
      },
      outputs: hashes,
      ms,
    });
    return { requestId, images: drawn.map((img, i) => ({ ...img, hash: hashes[i] })), ms };
  }

  /** One text-only turn on an image outside any stored session (variations' caption, Gemini's questions). */
  async answer(model: string, history: SessionJson, input: TurnRequest, onProgress?: (p: Progress) => void) {
    const m = this.model(model);
    const result = await this.submitTurn(m.id, history, input, false, onProgress);
    if (result.kind !== 'turn') throw new Error('the worker answered a turn with images');
    return result.turn.output.map((o) =>
      o.kind === 'text' ? o : { kind: 'image' as const, rgb: { width: m.imageSize, height: m.imageSize, data: o.rgb } },
    );
  }

  /** A turn job for the worker: `keep` keeps the session live (its KV cache) for the next turn. */
  private submitTurn(
    model: string,
    session: SessionJson,
    input: TurnRequest,
    keep: boolean,
    onProgress?: (p: Progress) => void,
  ) {
    const { mode, guidance, imageGuidance, temperature, candidates } = input;
    return this.host.submit(
      {
        kind: 'turn',
        model,
        session,
        input: { text: input.text, image: input.image?.image.data },
        options: { mode, guidance, imageGuidance, temperature, candidates },
        keep,
      },
      { onProgress },
    );
  }

  // ---- sessions ----

  async createSession(model: string | undefined, seed: number): Promise<StoredSession> {
    const m = this.model(model);
    const id = randomUUID();
    await this.store.createSession({ id, seed, model: m.id });
    return this.session(id);
  }

  async session(id: string): Promise<StoredSession> {
    const s = await this.store.getSession(id);
    if (!s)
      throw new RequestError(
        `unknown session "${id}"; create one with POST /v1/sessions`,
        'session_id',
        404,
        'not_found',
      );
    return s;
  }

  /** The stored session in the library's JSON form (what the worker restores and export returns). */
  async sessionJson(s: StoredSession): Promise<SessionJson> {
    const png = async (h: ImageHash) => {
      const b = await this.store.getImage(h);
      if (!b) throw new Error(`the store lost image ${h} of session ${s.id}`);
      return b.toString('base64');
    };
    return {
      format: 'tessera-session',
      version: 1,
      id: s.id,
      seed: s.seed,
      head: s.head,
      turns: await Promise.all(s.turns.map((t) => withImages(t, png))),
    };
  }

  /** Adds a turn after the session's head; stored (one transaction) before it is returned. */
  async turn(id: string, input: TurnRequest, onProgress?: (p: Progress) => void): Promise<TurnDone> {
    const s = await this.session(id);
    const m = this.model(s.model, 'session.model');
    const t0 = performance.now();
    const json = await this.sessionJson(s);
    const prompt = input.text === undefined ? null : turnText(json, m, input);
    if (prompt) input = { ...input, text: prompt.sent };
    const result = await this.submitTurn(m.id, json, input, true, onProgress);
    if (result.kind !== 'turn') throw new Error('the worker answered a turn with images');
    const inputImage = input.image ? await this.store.putImage(pngOf(input.image.image)) : undefined;
    const output = await Promise.all(
      result.turn.output.map(async (o) =>
        o.kind === 'text'
          ? o
          : { kind: 'image' as const, image: await this.store.putImage(o.png), ...(o.codes ? { codes: o.codes } : {}) },
      ),
    );
    const turn = {
      id: result.turn.id,
      parent: result.turn.parent,
      input: { text: input.text, image: inputImage },
      output,
    };
    await this.store.addTurn(s.id, turn);
    const requestId = `req_${randomUUID()}`;
    await this.store.recordRequest({
      id: requestId,
      endpoint: 'sessions.turns',
      model: m.id,
      seed: s.seed,
      prompt: prompt?.asked,
      inputImage,
      params: { session: s.id, turn: turn.id, mode: input.mode ?? 'auto', ...(prompt ? { prompt } : {}) },
      outputs: output.flatMap((o) => (o.kind === 'image' ? [o.image] : [])),
      text: output.flatMap((o) => (o.kind === 'text' ? [o.text] : [])).join('\n') || undefined,
      ms: performance.now() - t0,
    });
    const after = await this.session(s.id);
    return {
      requestId,
      session: after,
      turn: after.turns.find((t) => t.id === turn.id)!,
      cache: result.cache,
      prompt,
    };
  }

  async undo(id: string): Promise<StoredSession> {
    const s = await this.session(id);
    if (s.head === null) throw new RequestError('nothing to undo: the session is at its start', null, 409, 'conflict');
    const head = s.turns.find((t) => t.id === s.head)!;
    await this.store.setHead(id, head.parent);
    return this.session(id);
  }

  async branch(id: string, from: number | null): Promise<StoredSession> {
    const s = await this.session(id);
    if (from !== null && !s.turns.some((t) => t.id === from))
      throw new RequestError(
        `from: session ${id} has no turn ${from} (turns: ${s.turns.map((t) => t.id).join(', ') || 'none'})`,
        'from',
        404,
        'not_found',
      );
    await this.store.setHead(id, from);
    return this.session(id);
  }

  /** A session file (the library's JSON form) as a new stored session; checked against the model first. */
  async importSession(json: unknown, model: string | undefined): Promise<StoredSession> {
    const m = this.model(model);
    const parsed = Session.fromJSON(json, 'session', {
      imageSize: m.imageSize,
      grid: m.grid,
      codebookSize: m.codebookSize,
      codesPerPatch: m.codesPerPatch,
    });
    const j = parsed.toJSON();
    const put = (b64: string) => this.store.putImage(Buffer.from(b64, 'base64'));
    const turns = [];
    for (const t of j.turns) turns.push(await withImages(t, put)); // in order: parents first
    await this.store.importSession({ id: j.id, seed: j.seed, model: m.id, head: j.head, turns });
    return this.session(j.id);
  }

  feedback(f: FeedbackInput): Promise<FeedbackRecord> {
    return this.store.addFeedback(f);
  }
}

type TurnImages<I> = {
  id: number;
  parent: number | null;
  input: { text?: string; image?: I };
  output: ({ kind: 'text'; text: string } | { kind: 'image'; image: I; codes?: number[] })[];
};

/** A turn with every image reference mapped (stored hashes <-> base64 PNGs of the session JSON). */
async function withImages<A, B>(t: TurnImages<A>, f: (a: A) => Promise<B>): Promise<TurnImages<B>> {
  return {
    id: t.id,
    parent: t.parent,
    input: { text: t.input.text, image: t.input.image !== undefined ? await f(t.input.image) : undefined },
    output: await Promise.all(
      t.output.map(async (o) =>
        o.kind === 'text'
          ? o
          : { kind: 'image' as const, image: await f(o.image), ...(o.codes ? { codes: o.codes } : {}) },
      ),
    ),
  };
}

function images(r: JobResult) {
  if (r.kind !== 'images') throw new Error('the worker answered a drawing with a turn');
  return r.images;
}

export function pngOf(img: RgbImage): Buffer {
  return encodePng(img);
}
