// What every route shares: input parsing through one schema library (zod) into typed values or a 4xx that
// names the field, the two error shapes clients expect (OpenAI's {error: {message, type, param, code}} and,
// under /v1beta, Google's {error: {code, message, status, details: [BadRequest fieldViolations]}}), and the
// limits of the server (environment-overridable, like the image and model limits).
import type { Context } from 'hono';
import { z } from 'zod';
import { ImageInputError } from '../data/index.js';
import { SessionFileError, UnknownSessionError, UnknownTurnError } from '../infer/index.js';
import { RequestError } from './images.js';
import { StoreError } from './store/types.js';

export interface ServeLimits {
  /** Largest request body (bytes); larger ones get 413 before they are read. */
  maxBodyBytes: number;
  /** Jobs waiting for the model before 429. */
  maxQueue: number;
  /** Per-request limit, queue wait included (ms). */
  timeoutMs: number;
  /** Most variants per request. */
  maxN: number;
  /** Live sessions (with their KV cache) in the worker, and their cache bytes. */
  maxLiveSessions: number;
  maxCacheBytes: number;
  /** Longest prompt or turn text (characters). */
  maxTextChars: number;
}

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${v} must be a positive integer`);
  return n;
}

export function serveLimits(over: Partial<ServeLimits> = {}): ServeLimits {
  return {
    maxBodyBytes: envInt('TESSERA_MAX_BODY_BYTES', 16 * 1024 * 1024),
    maxQueue: envInt('TESSERA_MAX_QUEUE', 16),
    timeoutMs: envInt('TESSERA_REQUEST_TIMEOUT_MS', 60_000),
    maxN: envInt('TESSERA_MAX_N', 16),
    maxLiveSessions: envInt('TESSERA_LIVE_SESSIONS', 32),
    maxCacheBytes: envInt('TESSERA_SESSION_CACHE_BYTES', 256 * 1024 * 1024),
    maxTextChars: envInt('TESSERA_MAX_TEXT_CHARS', 2000),
    ...over,
  };
}

/** The schema's first problem as a RequestError naming the field (a.b[2].c). */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field =
    prefix +
    issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 && !prefix ? String(p) : `.${String(p)}`))
      .join('');
  throw new RequestError(`${field || 'body'}: ${issue.message}`, field || null);
}

/** The JSON body, parsed and validated; malformed JSON and a wrong content type are named. */
export async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/json'))
    throw new RequestError(
      `the body must be JSON (content-type: application/json), got "${type || 'none'}"`,
      null,
      415,
    );
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch (e) {
    throw new RequestError(`the body is not valid JSON: ${(e as Error).message}`, null);
  }
  return parseWith(schema, value);
}

export interface FormBody {
  fields: Record<string, string>;
  files: Record<string, Uint8Array>;
}

/** A multipart form: text fields and file bytes (the first of a repeated field; "image[]" read as "image"). */
export async function formBody(c: Context): Promise<FormBody> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('multipart/form-data'))
    throw new RequestError(`the body must be multipart/form-data, got "${type || 'none'}"`, null, 415);
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch (e) {
    throw new RequestError(`the multipart body could not be read: ${(e as Error).message}`, null);
  }
  const out: FormBody = { fields: {}, files: {} };
  for (const [key, v] of form.entries()) {
    const name = key.endsWith('[]') ? key.slice(0, -2) : key;
    if (typeof v === 'string') out.fields[name] ??= v;
    else out.files[name] ??= new Uint8Array(await v.arrayBuffer());
  }
  return out;
}

export const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/** Form fields are strings: the numbers and booleans among them are read before the schema checks them
 *  (a field that is not a number stays a string, so the schema names it). */
export function formValues(
  fields: Record<string, string>,
  o: { numbers?: string[]; booleans?: string[] },
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  for (const n of o.numbers ?? [])
    if (fields[n] !== undefined && fields[n].trim() !== '' && Number.isFinite(Number(fields[n])))
      out[n] = Number(fields[n]);
  for (const n of o.booleans ?? []) if (fields[n] === 'true' || fields[n] === 'false') out[n] = fields[n] === 'true';
  return out;
}

export interface ErrorInfo {
  status: number;
  message: string;
  field: string | null;
  code: string;
  retryAfter?: number;
}

/** Any error thrown by a route, as what the client should see. Unknown errors are 500 with their message. */
export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof RequestError)
    return {
      status: e.status,
      message: e.message,
      field: e.field,
      code: e.code,
      retryAfter: (e as RequestError & { retryAfter?: number }).retryAfter,
    };
  if (e instanceof StoreError)
    return {
      status: e.status,
      message: e.message,
      field: e.field ?? null,
      code: e.status === 404 ? 'not_found' : 'conflict',
    };
  if (e instanceof UnknownSessionError || e instanceof UnknownTurnError)
    return { status: 404, message: e.message, field: null, code: 'not_found' };
  if (e instanceof SessionFileError)
    return { status: 400, message: e.message, field: e.field ?? null, code: 'invalid_session' };
  if (e instanceof ImageInputError) return { status: 400, message: e.message, field: null, code: 'invalid_image' };
  return { status: 500, message: e instanceof Error ? e.message : String(e), field: null, code: 'internal_error' };
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  422: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function errorBody(info: ErrorInfo, google: boolean): unknown {
  if (google)
    return {
      error: {
        code: info.status,
        message: info.message,
        status: GOOGLE_STATUS[info.status] ?? 'INTERNAL',
        details: info.field
          ? [
              {
                '@type': 'type.googleapis.com/google.rpc.BadRequest',
                fieldViolations: [{ field: info.field, description: info.message }],
              },
            ]
          : [],
      },
    };
  return {
    error: {
      message: info.message,
      type: info.status >= 500 ? 'server_error' : 'invalid_request_error',
      param: info.field,
      code: info.code,
    },
  };
}
