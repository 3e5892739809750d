// The sequence builder: a TaskItem (src/data/sequence.ts) -> token ids in the shared vocabulary, the
// per-token "produced by the model" mask (the loss mask), 2-D positions of image tokens, and the token
// ranges of turns and segments. One implementation, used by training, evaluation and sampling.
//
// Layout of a sequence (T tokens), following renderSequence():
//   <|user|> [<|image|> c0 .. c63 <|/image|>] text... <|end|> <|model|> content... <|end|> ...
// A token is "produced" when it lies in a model turn after the <|model|> marker: the content (text tokens,
// <|image|>, the codes, <|/image|>) and the turn's closing <|end|>. pos2d[t] = its index in the image ((r * grid + c) * codesPerPatch + slot) for image codes,
// -1 otherwise.

import type { ImageRef } from '../data/sequence.js';
import { MARKERS, type Role, type TaskItem } from '../data/sequence.js';
import { codesPerImage, type ImageTokenizer } from '../tokenizers/image/types.js';
import type { BpeTokenizer } from '../tokenizers/index.js';

export interface Tokenizers {
  text: BpeTokenizer;
  image: ImageTokenizer;
}

export interface SegmentSpan {
  /** Index into item.segments. */
  segment: number;
  role: Role;
  kind: 'text' | 'image';
  /** Content tokens [start, end): text tokens, or the image codes without their markers. */
  start: number;
  end: number;
}

export interface TurnSpan {
  role: Role;
  /** Index of the role marker; the turn ends after its <|end|> (exclusive end). */
  start: number;
  end: number;
}

export interface BuiltSequence {
  ids: Int32Array; // (T,)
  produced: Uint8Array; // (T,) 1 = the model is trained to produce this token
  pos2d: Int32Array; // (T,) index in the image for image codes (r * grid + c with one code a patch), -1 otherwise
  turns: TurnSpan[];
  segments: SegmentSpan[];
}

export interface BuildOptions {
  /** Replace every user text by the empty prompt (condition dropout / the unconditional branch of CFG). */
  dropText?: boolean;
}

/** Special-token ids of the shared vocabulary, and the image-code range. */
export function specialIds(tok: Tokenizers) {
  const t = tok.text;
  return {
    user: t.specialId(MARKERS.user),
    model: t.specialId(MARKERS.model),
    image: t.specialId(MARKERS.image),
    imageEnd: t.specialId(MARKERS.imageEnd),
    end: t.specialId(MARKERS.end),
    /** First image-code id; codes are [imageBase, imageBase + K). */
    imageBase: t.vocabSize,
    imageCount: tok.image.codebookSize,
  };
}

const codeCache = new WeakMap<ImageRef, Map<ImageTokenizer, Int32Array>>();

/** Image codes of an image (memoised per image and tokenizer). */
export function imageCodes(img: ImageRef, tok: ImageTokenizer): Int32Array {
  if (img.codes) {
    if (img.codes.length !== codesPerImage(tok))
      throw new Error(
        `sequence builder: an image carries ${img.codes.length} codes, the tokenizer uses ${codesPerImage(tok)}`,
      );
    return img.codes;
  }
  let m = codeCache.get(img);
  if (!m) {
    m = new Map();
    codeCache.set(img, m);
  }
  let c = m.get(tok);
  if (!c) {
    const p = img.pixels;
    if (p.width !== tok.imageSize || p.height !== tok.imageSize)
      throw new Error(
        `sequence builder: image is ${p.width}x${p.height}, the image tokenizer takes ${tok.imageSize}x${tok.imageSize}`,
      );
    [c] = tok.encode([p.data]);
    m.set(tok, c);
  }
  return c;
}

export function buildSequence(item: TaskItem, tok: Tokenizers, opts: BuildOptions = {}): BuiltSequence {
  const sp = specialIds(tok);
  const ids: number[] = [];
  const produced: number[] = [];
  const pos2d: number[] = [];
  const turns: TurnSpan[] = [];
  const segments: SegmentSpan[] = [];
  let role: Role | null = null;
  let prevKind: 'text' | 'image' | null = null;
  const push = (id: number, p = -1) => {
    ids.push(id);
    produced.push(role === 'model' ? 1 : 0);
    pos2d.push(p);
  };
  const closeTurn = () => {
    if (!role) return;
    push(sp.end);
    turns[turns.length - 1].end = ids.length;
  };
  item.segments.forEach((seg, i) => {
    if (seg.role !== role) {
      closeTurn();
      role = null; // the role marker itself is given, never produced
      push(seg.role === 'user' ? sp.user : sp.model);
      role = seg.role;
      turns.push({ role: seg.role, start: ids.length - 1, end: -1 });
      prevKind = null;
    } else if (prevKind === 'text' && seg.kind === 'text') for (const id of tok.text.encode('\n')) push(id);
    if (seg.kind === 'text') {
      const text = opts.dropText && seg.role === 'user' ? '' : (seg.text ?? '');
      const start = ids.length;
      for (const id of tok.text.encode(text)) push(id);
      segments.push({ segment: i, role: seg.role, kind: 'text', start, end: ids.length });
    } else {
      if (!seg.image) throw new Error(`${item.id}: segment ${i} is an image without pixels`);
      const codes = imageCodes(seg.image, tok.image);
      push(sp.image);
      const start = ids.length;
      codes.forEach((c, p) => {
        push(sp.imageBase + c, p);
      });
      segments.push({ segment: i, role: seg.role, kind: 'image', start, end: ids.length });
      push(sp.imageEnd);
    }
    prevKind = seg.kind;
  });
  closeTurn();
  return {
    ids: Int32Array.from(ids),
    produced: Uint8Array.from(produced),
    pos2d: Int32Array.from(pos2d),
    turns,
    segments,
  };
}

/** A decoded segment: text, or the codes of one image. */
export type DecodedSegment =
  | { role: Role; kind: 'text'; text: string }
  | { role: Role; kind: 'image'; codes: Int32Array };

/**
 * Parses ids back into segments (the inverse of buildSequence on its own output). `role` is the role of
 * the tokens before any role marker (for a generated model turn, pass 'model'). Stops at nothing: an
 * unterminated image yields the codes it has; stray image codes outside an image span are dropped.
 */
export function parseSequence(ids: ArrayLike<number>, tok: Tokenizers, role: Role = 'user'): DecodedSegment[] {
  const sp = specialIds(tok);
  const out: DecodedSegment[] = [];
  let text: number[] = [];
  let codes: number[] | null = null;
  const flushText = () => {
    if (text.length) out.push({ role, kind: 'text', text: tok.text.decode(text) });
    text = [];
  };
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (codes) {
      if (id >= sp.imageBase && id < sp.imageBase + sp.imageCount) {
        codes.push(id - sp.imageBase);
        continue;
      }
      out.push({ role, kind: 'image', codes: Int32Array.from(codes) });
      codes = null;
      if (id === sp.imageEnd) continue;
    }
    if (id === sp.user || id === sp.model) {
      flushText();
      role = id === sp.user ? 'user' : 'model';
    } else if (id === sp.end) flushText();
    else if (id === sp.image) {
      flushText();
      codes = [];
    } else if (id < sp.imageBase) text.push(id);
  }
  flushText();
  if (codes) out.push({ role, kind: 'image', codes: Int32Array.from(codes) });
  return out;
}
