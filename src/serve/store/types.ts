// The store behind the server: sessions and their turns, generation requests, feedback, and images kept once
// by content hash. One interface, two engines: SQLite (better-sqlite3, the embedded default that needs no
// set-up) and PostgreSQL (pg, for a team). Every method is async so both fit; every write that acknowledges
// something to a client is one transaction, committed before the promise resolves (a kill -9 after it
// resolves loses nothing).

/** An image is named by the SHA-256 (hex) of its PNG bytes; stored once however often it is referenced. */
export type ImageHash = string;

export type StoredOutput = { kind: 'text'; text: string } | { kind: 'image'; image: ImageHash; codes?: number[] };

export interface StoredTurn {
  id: number;
  /** The turn this one follows (null: the first turn of its branch from the start). */
  parent: number | null;
  input: { text?: string; image?: ImageHash };
  output: StoredOutput[];
  /** ISO-8601, set by the store. */
  createdAt: string;
}

export interface StoredSession {
  id: string;
  seed: number;
  /** The model id that serves the session (e.g. "tessera-default"). */
  model: string;
  head: number | null;
  createdAt: string;
  /** Every turn of every branch, in id order. */
  turns: StoredTurn[];
}

export interface SessionSummary {
  id: string;
  model: string;
  head: number | null;
  turns: number;
  createdAt: string;
}

/** One model call the server answered (a generation, edit, variation, Gemini call or session turn). */
export interface RequestRecord {
  id: string;
  /** e.g. "images.generations", "images.edits", "images.variations", "generateContent", "sessions.turns". */
  endpoint: string;
  model: string;
  seed: number;
  prompt?: string;
  /** The input image, when there was one. */
  inputImage?: ImageHash;
  /** Everything else that decides the output (n, size, temperature, guidance, mask hash...). */
  params: Record<string, unknown>;
  /** The images drawn, in variant order. */
  outputs: ImageHash[];
  /** A text answer, when there was one. */
  text?: string;
  ms: number;
  createdAt: string;
}

export type FeedbackInput =
  | {
      kind: 'rating';
      requestId: string;
      /** Which variant of the request (default 0). */
      index?: number;
      rating: 'up' | 'down';
      note?: string;
    }
  | {
      kind: 'choice';
      requestId: string;
      /** The two variants compared (indexes into the request's outputs) and which one was picked. */
      a: number;
      b: number;
      picked: 'a' | 'b' | 'tie';
      note?: string;
    };

/** Feedback as stored: with the request's model, seed, prompt and images copied in, so that one row is
 *  enough to become a benchmark case even if the request is later pruned. */
export type FeedbackRecord = FeedbackInput & {
  id: string;
  model: string;
  seed: number;
  endpoint: string;
  prompt?: string;
  inputImage?: ImageHash;
  /** The images the feedback is about: [index] for a rating, [a, b] for a choice. */
  images: ImageHash[];
  createdAt: string;
};

export interface StoreStats {
  images: number;
  sessions: number;
  turns: number;
  requests: number;
  feedback: number;
}

/** Refusals the server turns into 4xx (unknown ids, a duplicate turn, feedback on a variant that does
 *  not exist). `field` names the offending input field when there is one. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409 | 400,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it is (a file path or the URL with the password masked), for logs and /readyz. */
  readonly where: string;

  /** Stores the PNG once (by SHA-256 of its bytes) and returns its hash. */
  putImage(png: Uint8Array): Promise<ImageHash>;
  getImage(hash: ImageHash): Promise<Buffer | null>;

  /** A new session with no turns (StoreError 409 if the id exists). */
  createSession(s: { id: string; seed: number; model: string }): Promise<void>;
  getSession(id: string): Promise<StoredSession | null>;
  listSessions(limit?: number): Promise<SessionSummary[]>;
  /** Adds a turn and moves the head to it, in one transaction. StoreError 404 for an unknown session,
   *  409 if the turn id exists or its parent is not a turn of the session. Images must be put first. */
  addTurn(sessionId: string, turn: Omit<StoredTurn, 'createdAt'>): Promise<void>;
  /** Moves the head (undo, branch); 404 for an unknown session or turn. */
  setHead(sessionId: string, head: number | null): Promise<void>;
  /** A whole session (an import) in one transaction; 409 if the id exists. */
  importSession(
    s: Omit<StoredSession, 'createdAt' | 'turns'> & { turns: Omit<StoredTurn, 'createdAt'>[] },
  ): Promise<void>;

  recordRequest(r: Omit<RequestRecord, 'createdAt'>): Promise<void>;
  getRequest(id: string): Promise<RequestRecord | null>;
  /** 404 for an unknown request, 400 (field "index", "a" or "b") for a variant it does not have. */
  addFeedback(f: FeedbackInput): Promise<FeedbackRecord>;
  /** Newest first. */
  listFeedback(o?: { limit?: number }): Promise<FeedbackRecord[]>;

  stats(): Promise<StoreStats>;
  /** A cheap round trip (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
