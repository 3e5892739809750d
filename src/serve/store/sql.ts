// The store's logic, written once over a small driver (a transaction that runs SQL with `?` placeholders),
// so SQLite and PostgreSQL answer the same checks with the same StoreErrors and map rows the same way. The
// engines (sqlite.ts, postgres.ts) supply the driver: how a transaction starts and commits, placeholders,
// and how a unique violation reads. Every write is one driver.write() transaction: the checks (does the
// session exist, is the parent a turn of it, are the images there) and the inserts commit together or not
// at all, and the promise resolves after the commit. Lists (a turn's outputs, a request's images) are child
// tables with a position, not JSON, so that each image they name is a foreign key (see migrations.ts).
//
// Values from the two engines differ in type and the mappers accept both: PostgreSQL returns bigint and
// COUNT as strings, timestamptz as Date, jsonb parsed; SQLite returns numbers and the JSON as text.
import { createHash, randomUUID } from 'node:crypto';
import {
  type FeedbackInput,
  type FeedbackRecord,
  type ImageHash,
  type RequestRecord,
  type SessionSummary,
  type Store,
  type StoredOutput,
  type StoredSession,
  type StoredTurn,
  StoreError,
  type StoreStats,
} from './types.js';

export type Row = Record<string, unknown>;

/** One transaction: SQL with `?` placeholders, parameters in order (undefined binds as NULL). */
export interface Tx {
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
}

export interface Driver {
  readonly kind: 'sqlite' | 'postgres';
  readonly where: string;
  /** A write transaction, committed before the promise resolves; rolled back if fn throws. */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** A read-only transaction (one snapshot for all its statements). */
  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Whether an error is the engine's unique/primary-key violation (a concurrent insert of the same id). */
  isUniqueViolation(e: unknown): boolean;
  close(): Promise<void>;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

const HASH = /^[0-9a-f]{64}$/;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The hash in its stored form (lowercase), or StoreError 400 naming `field`. */
export function checkHash(hash: unknown, field: string): ImageHash {
  const h = typeof hash === 'string' ? hash.toLowerCase() : '';
  if (!HASH.test(h)) throw new StoreError(`${field}: not an image hash (64 hex characters)`, 400, field);
  return h;
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1)
    throw new StoreError(`limit must be a positive integer (got ${limit})`, 400, 'limit');
  return Math.min(limit, MAX_LIMIT);
}

function checkInt(v: unknown, field: string): number {
  if (!Number.isSafeInteger(v)) throw new StoreError(`${field} must be an integer (got ${v})`, 400, field);
  return v as number;
}

const now = (): string => new Date().toISOString();
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
const num = (v: unknown): number => Number(v);
const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Sets `key` only when the column is not NULL (optional fields stay absent rather than undefined). */
function opt<T extends object, K extends string, V>(o: T, key: K, v: V | null | undefined): T {
  if (v !== null && v !== undefined) (o as Record<string, unknown>)[key] = v;
  return o;
}

/** `?, ?, ?` for an IN list of n values. */
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

type TurnIn = Omit<StoredTurn, 'createdAt'>;

/** The hashes a turn refers to, each with the field that names it. */
function turnImages(t: TurnIn, prefix: string): [ImageHash, string][] {
  const out: [ImageHash, string][] = [];
  if (t.input.image !== undefined) out.push([t.input.image, `${prefix}input.image`]);
  t.output.forEach((o, i) => {
    if (o.kind === 'image') out.push([o.image, `${prefix}output[${i}].image`]);
  });
  return out;
}

/** StoreError 400 for the first hash that is malformed or not stored ("images must be put first"). */
async function checkImagesExist(tx: Tx, refs: [ImageHash, string][]): Promise<void> {
  if (refs.length === 0) return;
  const hashes = refs.map(([h, field]) => checkHash(h, field));
  const unique = [...new Set(hashes)];
  const rows = await tx.all(`SELECT hash FROM images WHERE hash IN (${marks(unique.length)})`, unique);
  const have = new Set(rows.map((r) => r.hash as string));
  const i = hashes.findIndex((h) => !have.has(h));
  if (i >= 0) throw new StoreError(`${refs[i][1]}: unknown image ${hashes[i]} (put it first)`, 400, refs[i][1]);
}

async function insertTurn(tx: Tx, sessionId: string, t: TurnIn, createdAt: string): Promise<void> {
  await tx.run(
    'INSERT INTO turns (session_id, id, parent, input_text, input_image, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    [sessionId, t.id, t.parent, t.input.text, t.input.image?.toLowerCase(), createdAt],
  );
  for (const [pos, o] of t.output.entries()) {
    const image = o.kind === 'image' ? o.image.toLowerCase() : null;
    const codes = o.kind === 'image' && o.codes !== undefined ? JSON.stringify(o.codes) : null;
    await tx.run(
      'INSERT INTO turn_outputs (session_id, turn_id, pos, kind, text, image, codes) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [sessionId, t.id, pos, o.kind, o.kind === 'text' ? o.text : null, image, codes],
    );
  }
}

async function sessionExists(tx: Tx, id: string): Promise<boolean> {
  return (await tx.all('SELECT 1 AS x FROM sessions WHERE id = ?', [id])).length > 0;
}

async function turnExists(tx: Tx, sessionId: string, id: number): Promise<boolean> {
  return (await tx.all('SELECT 1 AS x FROM turns WHERE session_id = ? AND id = ?', [sessionId, id])).length > 0;
}

/**
 * The import's turns, parents before children (the foreign keys are checked per row). StoreError 409 for a
 * duplicate turn id, a parent that is not among the turns, or a cycle.
 */
function parentsFirst(turns: TurnIn[]): TurnIn[] {
  const byId = new Map<number, TurnIn>();
  for (const [i, t] of turns.entries()) {
    checkInt(t.id, `turns[${i}].id`);
    if (byId.has(t.id)) throw new StoreError(`turns[${i}].id: turn ${t.id} appears twice`, 409, `turns[${i}].id`);
    byId.set(t.id, t);
  }
  for (const [i, t] of turns.entries())
    if (t.parent !== null && !byId.has(t.parent))
      throw new StoreError(`turns[${i}].parent: ${t.parent} is not a turn of the session`, 409, `turns[${i}].parent`);
  const placed = new Set<number>();
  const order: TurnIn[] = [];
  while (order.length < turns.length) {
    const ready = turns.filter((t) => !placed.has(t.id) && (t.parent === null || placed.has(t.parent)));
    if (ready.length === 0) throw new StoreError('turns: the parents form a cycle', 409, 'turns');
    for (const t of ready) {
      placed.add(t.id);
      order.push(t);
    }
  }
  return order;
}

function rowToOutput(r: Row): StoredOutput {
  if (r.kind === 'text') return { kind: 'text', text: r.text as string };
  return opt({ kind: 'image', image: r.image as string } as StoredOutput, 'codes', json(r.codes));
}

function rowToTurn(r: Row, output: StoredOutput[]): StoredTurn {
  const input = opt(opt({}, 'text', r.input_text as string | null), 'image', r.input_image as string | null);
  return { id: num(r.id), parent: intOrNull(r.parent), input, output, createdAt: iso(r.created_at) };
}

function rowToRequest(r: Row, outputs: ImageHash[]): RequestRecord {
  const rec = { id: r.id as string, endpoint: r.endpoint as string, model: r.model as string, seed: num(r.seed) };
  opt(rec, 'prompt', r.prompt as string | null);
  opt(rec, 'inputImage', r.input_image as string | null);
  const rest = { params: json(r.params) as Record<string, unknown>, outputs };
  const out: RequestRecord = { ...rec, ...rest, ms: num(r.ms), createdAt: iso(r.created_at) };
  return opt(out, 'text', r.text as string | null);
}

function rowToFeedback(r: Row, images: ImageHash[]): FeedbackRecord {
  const input: FeedbackInput =
    r.kind === 'rating'
      ? { kind: 'rating', requestId: r.request_id as string, index: num(r.variant), rating: r.rating as 'up' | 'down' }
      : {
          kind: 'choice',
          requestId: r.request_id as string,
          a: num(r.a),
          b: num(r.b),
          picked: r.picked as 'a' | 'b' | 'tie',
        };
  opt(input, 'note', r.note as string | null);
  const copied = { model: r.model as string, seed: num(r.seed), endpoint: r.endpoint as string };
  opt(copied, 'prompt', r.prompt as string | null);
  opt(copied, 'inputImage', r.input_image as string | null);
  return { ...input, id: r.id as string, ...copied, images, createdAt: iso(r.created_at) };
}

/** The variants a feedback is about, checked against the request's outputs. */
function feedbackVariants(f: FeedbackInput, outputs: number): number[] {
  const inRange = (v: unknown, field: string): number => {
    const i = checkInt(v, field);
    if (i < 0 || i >= outputs)
      throw new StoreError(`${field}: the request has no variant ${i} (it has ${outputs})`, 400, field);
    return i;
  };
  if (f.kind === 'rating') return [inRange(f.index ?? 0, 'index')];
  const a = inRange(f.a, 'a');
  const b = inRange(f.b, 'b');
  if (a === b) throw new StoreError(`b: a choice compares two different variants (a = b = ${a})`, 400, 'b');
  return [a, b];
}

export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly where: string;
  private closed = false;

  constructor(private readonly driver: Driver) {
    this.kind = driver.kind;
    this.where = driver.where;
  }

  /** The driver, or a clear error for a call after close(). */
  private get db(): Driver {
    if (this.closed) throw new Error(`${this.where}: the store is closed`);
    return this.driver;
  }

  async putImage(png: Uint8Array): Promise<ImageHash> {
    const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
    if (bytes.length < 8 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE))
      throw new StoreError('png: not a PNG file (no PNG signature)', 400, 'png');
    const hash = createHash('sha256').update(bytes).digest('hex');
    await this.db.write((tx) =>
      tx.run('INSERT INTO images (hash, png, bytes, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING', [
        hash,
        bytes,
        bytes.length,
        now(),
      ]),
    );
    return hash;
  }

  async getImage(hash: ImageHash): Promise<Buffer | null> {
    const h = checkHash(hash, 'hash');
    const rows = await this.db.read((tx) => tx.all('SELECT png FROM images WHERE hash = ?', [h]));
    return rows.length ? Buffer.from(rows[0].png as Uint8Array) : null;
  }

  async createSession(s: { id: string; seed: number; model: string }): Promise<void> {
    checkInt(s.seed, 'seed');
    await this.db.write(async (tx) => {
      if (await sessionExists(tx, s.id)) throw new StoreError(`session ${s.id} exists`, 409, 'id');
      await this.insertSession(tx, s, () => new StoreError(`session ${s.id} exists`, 409, 'id'));
    });
  }

  /** Inserts the session row (head NULL); a concurrent insert of the same id becomes `conflict()`. */
  private async insertSession(
    tx: Tx,
    s: { id: string; seed: number; model: string },
    conflict: () => StoreError,
  ): Promise<void> {
    try {
      await tx.run('INSERT INTO sessions (id, seed, model, head, created_at) VALUES (?, ?, ?, NULL, ?)', [
        s.id,
        s.seed,
        s.model,
        now(),
      ]);
    } catch (e) {
      throw this.db.isUniqueViolation(e) ? conflict() : e;
    }
  }

  async getSession(id: string): Promise<StoredSession | null> {
    return this.db.read(async (tx) => {
      const rows = await tx.all('SELECT id, seed, model, head, created_at FROM sessions WHERE id = ?', [id]);
      if (rows.length === 0) return null;
      const s = rows[0];
      const turnRows = await tx.all(
        'SELECT id, parent, input_text, input_image, created_at FROM turns WHERE session_id = ? ORDER BY id',
        [id],
      );
      const outRows = await tx.all(
        'SELECT turn_id, kind, text, image, codes FROM turn_outputs WHERE session_id = ? ORDER BY turn_id, pos',
        [id],
      );
      const outputs = new Map<number, StoredOutput[]>();
      for (const r of outRows) {
        const list = outputs.get(num(r.turn_id)) ?? [];
        list.push(rowToOutput(r));
        outputs.set(num(r.turn_id), list);
      }
      return {
        id: s.id as string,
        seed: num(s.seed),
        model: s.model as string,
        head: intOrNull(s.head),
        createdAt: iso(s.created_at),
        turns: turnRows.map((r) => rowToTurn(r, outputs.get(num(r.id)) ?? [])),
      };
    });
  }

  async listSessions(limit?: number): Promise<SessionSummary[]> {
    const n = checkLimit(limit);
    const rows = await this.db.read((tx) =>
      tx.all(
        `SELECT s.id, s.model, s.head, s.created_at, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS turns
         FROM sessions s ORDER BY s.created_at DESC, s.id DESC LIMIT ?`,
        [n],
      ),
    );
    return rows.map((r) => ({
      id: r.id as string,
      model: r.model as string,
      head: intOrNull(r.head),
      turns: num(r.turns),
      createdAt: iso(r.created_at),
    }));
  }

  async addTurn(sessionId: string, turn: TurnIn): Promise<void> {
    checkInt(turn.id, 'id');
    if (turn.parent !== null) checkInt(turn.parent, 'parent');
    await this.db.write(async (tx) => {
      if (!(await sessionExists(tx, sessionId))) throw new StoreError(`unknown session ${sessionId}`, 404, 'sessionId');
      if (await turnExists(tx, sessionId, turn.id))
        throw new StoreError(`turn ${turn.id} exists in session ${sessionId}`, 409, 'id');
      if (turn.parent !== null && !(await turnExists(tx, sessionId, turn.parent)))
        throw new StoreError(`parent: ${turn.parent} is not a turn of session ${sessionId}`, 409, 'parent');
      await checkImagesExist(tx, turnImages(turn, ''));
      try {
        await insertTurn(tx, sessionId, turn, now());
      } catch (e) {
        // a concurrent writer (another server on the same PostgreSQL) inserted the same turn id first
        if (this.db.isUniqueViolation(e))
          throw new StoreError(`turn ${turn.id} exists in session ${sessionId}`, 409, 'id');
        throw e;
      }
      await tx.run('UPDATE sessions SET head = ? WHERE id = ?', [turn.id, sessionId]);
    });
  }

  async setHead(sessionId: string, head: number | null): Promise<void> {
    await this.db.write(async (tx) => {
      if (!(await sessionExists(tx, sessionId))) throw new StoreError(`unknown session ${sessionId}`, 404, 'sessionId');
      if (head !== null && !(Number.isSafeInteger(head) && (await turnExists(tx, sessionId, head))))
        throw new StoreError(`head: ${head} is not a turn of session ${sessionId}`, 404, 'head');
      await tx.run('UPDATE sessions SET head = ? WHERE id = ?', [head, sessionId]);
    });
  }

  async importSession(s: Omit<StoredSession, 'createdAt' | 'turns'> & { turns: TurnIn[] }): Promise<void> {
    checkInt(s.seed, 'seed');
    const order = parentsFirst(s.turns);
    if (s.head !== null && !s.turns.some((t) => t.id === s.head))
      throw new StoreError(`head: ${s.head} is not a turn of the session`, 404, 'head');
    await this.db.write(async (tx) => {
      if (await sessionExists(tx, s.id)) throw new StoreError(`session ${s.id} exists`, 409, 'id');
      await checkImagesExist(
        tx,
        s.turns.flatMap((t, i) => turnImages(t, `turns[${i}].`)),
      );
      await this.insertSession(tx, s, () => new StoreError(`session ${s.id} exists`, 409, 'id'));
      const at = now();
      for (const t of order) await insertTurn(tx, s.id, t, at);
      await tx.run('UPDATE sessions SET head = ? WHERE id = ?', [s.head, s.id]);
    });
  }

  async recordRequest(r: Omit<RequestRecord, 'createdAt'>): Promise<void> {
    checkInt(r.seed, 'seed');
    const refs: [ImageHash, string][] = r.outputs.map((h, i) => [h, `outputs[${i}]`]);
    if (r.inputImage !== undefined) refs.push([r.inputImage, 'inputImage']);
    await this.db.write(async (tx) => {
      if ((await tx.all('SELECT 1 AS x FROM requests WHERE id = ?', [r.id])).length > 0)
        throw new StoreError(`request ${r.id} exists`, 409, 'id');
      await checkImagesExist(tx, refs);
      await tx.run(
        `INSERT INTO requests (id, endpoint, model, seed, prompt, input_image, params, text, ms, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          r.id,
          r.endpoint,
          r.model,
          r.seed,
          r.prompt,
          r.inputImage?.toLowerCase(),
          JSON.stringify(r.params),
          r.text,
          r.ms,
          now(),
        ],
      );
      for (const [pos, h] of r.outputs.entries())
        await tx.run('INSERT INTO request_outputs (request_id, pos, image) VALUES (?, ?, ?)', [
          r.id,
          pos,
          h.toLowerCase(),
        ]);
    });
  }

  async getRequest(id: string): Promise<RequestRecord | null> {
    return this.db.read((tx) => this.requestIn(tx, id));
  }

  private async requestIn(tx: Tx, id: string): Promise<RequestRecord | null> {
    const rows = await tx.all('SELECT * FROM requests WHERE id = ?', [id]);
    if (rows.length === 0) return null;
    const outs = await tx.all('SELECT image FROM request_outputs WHERE request_id = ? ORDER BY pos', [id]);
    return rowToRequest(
      rows[0],
      outs.map((o) => o.image as string),
    );
  }

  async addFeedback(f: FeedbackInput): Promise<FeedbackRecord> {
    return this.db.write(async (tx) => {
      const req = await this.requestIn(tx, f.requestId);
      if (!req) throw new StoreError(`unknown request ${f.requestId}`, 404, 'requestId');
      const images = feedbackVariants(f, req.outputs.length).map((i) => req.outputs[i]);
      const id = randomUUID();
      const choice = f.kind === 'choice' ? f : null;
      const rating = f.kind === 'rating' ? f : null;
      await tx.run(
        `INSERT INTO feedback (id, kind, request_id, variant, rating, a, b, picked, note, model, seed, endpoint,
           prompt, input_image, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          f.kind,
          f.requestId,
          rating ? (rating.index ?? 0) : null,
          rating?.rating,
          choice?.a,
          choice?.b,
          choice?.picked,
          f.note,
          req.model,
          req.seed,
          req.endpoint,
          req.prompt,
          req.inputImage,
          now(),
        ],
      );
      for (const [pos, h] of images.entries())
        await tx.run('INSERT INTO feedback_images (feedback_id, pos, image) VALUES (?, ?, ?)', [id, pos, h]);
      const rows = await tx.all('SELECT * FROM feedback WHERE id = ?', [id]);
      return rowToFeedback(rows[0], images);
    });
  }

  async listFeedback(o: { limit?: number } = {}): Promise<FeedbackRecord[]> {
    const n = checkLimit(o.limit);
    return this.db.read(async (tx) => {
      const rows = await tx.all('SELECT * FROM feedback ORDER BY seq DESC LIMIT ?', [n]);
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id as string);
      const imgs = await tx.all(
        `SELECT feedback_id, image FROM feedback_images WHERE feedback_id IN (${marks(ids.length)}) ORDER BY pos`,
        ids,
      );
      const byId = new Map<string, ImageHash[]>(ids.map((id) => [id, []]));
      for (const r of imgs) byId.get(r.feedback_id as string)!.push(r.image as string);
      return rows.map((r) => rowToFeedback(r, byId.get(r.id as string)!));
    });
  }

  async stats(): Promise<StoreStats> {
    const rows = await this.db.read((tx) =>
      tx.all(
        `SELECT (SELECT COUNT(*) FROM images) AS images, (SELECT COUNT(*) FROM sessions) AS sessions,
           (SELECT COUNT(*) FROM turns) AS turns, (SELECT COUNT(*) FROM requests) AS requests,
           (SELECT COUNT(*) FROM feedback) AS feedback`,
      ),
    );
    const r = rows[0];
    return {
      images: num(r.images),
      sessions: num(r.sessions),
      turns: num(r.turns),
      requests: num(r.requests),
      feedback: num(r.feedback),
    };
  }

  async ping(): Promise<void> {
    await this.db.read((tx) => tx.all('SELECT 1 AS ok'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.driver.close();
  }
}
