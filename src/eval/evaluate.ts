// Evaluation by the verifier, never by the model under test: for every model turn of every held-out item,
// the model continues the ground-truth conversation up to that turn (one sampler: src/infer/sample.ts),
// and what it produced is judged: text answers by exact match and per attribute, images by parsing them
// back into scenes (src/data verifier, malformed shapes refused), edits also by preservation outside the
// edit region, sign words by word accuracy and normalised edit distance, emoji edits by the fraction of
// pixels that match the target. Held-out metrics are also split by the held-out factor itself (objects of
// held-out color-shape pairs, held-out words, held-out identities) against the trained ones beside them.
// Every metric comes with its n and a 95% interval (./interval.ts).
import {
  type Character,
  compareScenes,
  evaluationItems,
  type ImageRef,
  isHeldoutIdentity,
  isHeldoutPair,
  isHeldoutWord,
  type ObjectFit,
  parseImageFits,
  preservation,
  type RgbImage,
  type Scene,
  type SceneObject,
  type Segment,
  type TaskItem,
  type TaskKind,
  wellFormed,
  wordMetrics,
} from '../data/index.js';
import {
  DEFAULT_GUIDANCE,
  DESCRIBE,
  describeImage,
  drawCodes,
  READ_SIGN,
  readingText,
  readSign,
  type SampleOptions,
  sampleTurn,
} from '../infer/index.js';
import type { MultimodalModel } from '../model/index.js';
import { buildSequence, type DecodedSegment, type Tokenizers } from '../model/index.js';
import { codesPerImage, drawnSoFar } from '../tokenizers/index.js';
import { judgeAnswer, judgeCaption } from './attributes.js';
import { type MetricStat, meanInterval, wilson } from './interval.js';

/** Every metric `tessera eval` reports (null when no held-out item exercised it). */
export const METRIC_KEYS = [
  'caption_acc',
  'vqa_acc',
  'ocr_acc',
  'understanding_acc',
  't2i_acc',
  // Partial credit on text-to-image (all-constraints accuracy is all or nothing): the background, and the
  // share of asked-for objects drawn in their cell with the right color, shape and size.
  't2i_background_acc',
  't2i_object_acc',
  'edit_success',
  'edit_preservation',
  'text_render_word_acc',
  'text_render_ned',
  'knowledge_transfer_acc',
  'fact_acc',
  'compound_plan_acc',
  'imagine_answer_acc',
  'emoji_caption_acc',
  'emoji_edit_pixel_match',
  // Split by the held-out factor: text-to-image objects of held-out color-shape pairs against the objects
  // of trained pairs in the same prompts; signs with held-out words against trained words (drawn, read);
  // characters of held-out identities against trained ones (drawn; kept through an edit); objects an edit
  // must leave alone, of held-out pairs and of trained ones, still there; objects a caption names with all
  // four attributes right, of held-out pairs and of trained pairs in the same scenes.
  't2i_heldout_pair_object_acc',
  't2i_trained_pair_object_acc',
  'caption_heldout_pair_object_acc',
  'caption_trained_pair_object_acc',
  'text_render_heldout_word_acc',
  'text_render_trained_word_acc',
  'ocr_heldout_word_acc',
  'ocr_trained_word_acc',
  't2i_heldout_identity_acc',
  't2i_trained_identity_acc',
  'edit_heldout_pair_kept',
  'edit_trained_pair_kept',
  'edit_heldout_identity_kept',
  'edit_trained_identity_kept',
  // Per attribute, beside the exact caption and answer (./attributes.ts).
  'caption_color_acc',
  'caption_shape_acc',
  'caption_size_acc',
  'caption_cell_acc',
  'caption_count_acc',
  'caption_word_acc',
  'vqa_color_acc',
  'vqa_shape_acc',
  'vqa_size_acc',
  'vqa_cell_acc',
  'vqa_count_acc',
  'vqa_word_acc',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
export type Metrics = Record<MetricKey, number | null>;

/** Metrics that average fractions (normal-approximation interval); every other one is a rate (Wilson). */
export const MEAN_METRICS: readonly MetricKey[] = ['edit_preservation', 'text_render_ned', 'emoji_edit_pixel_match'];

/** The metrics split by a held-out factor, and the items that exercise them most (see factorItems). */
export const FACTOR_KEYS: readonly MetricKey[] = METRIC_KEYS.filter((k) => /heldout|trained/.test(k));

export interface EvalOptions extends SampleOptions {
  /** Text-to-image turns (an image drawn from the user's text alone): draw this many candidates at
   *  CANDIDATE_TEMPERATURE and judge the one the model reads most as the prompt (infer/reading.ts), as
   *  `generate --candidates` does. Caption turns ("describe the image."): the greedy caption and this many
   *  less one sampled, judged on the one describeImage ranks and refines first. Sign questions ("what does
   *  the sign say?"): the one readSign ranks first of as many readings. Default 1: greedy everywhere. */
  candidates?: number;
  /** Skip model turns whose prompt leaves less room than this many tokens (default: one image). */
  minRoom?: number;
  /** Judge only these metrics (default: all). */
  keys?: readonly MetricKey[];
  /** Also judge every produced image with the lenient verifier (malformed shapes accepted, as before the
   *  tolerance on unexplained pixels): EvalResult.lenient, a before/after on the same outputs. */
  lenient?: boolean;
  /** Called with every judgement the metrics average (the strict verifier's), in order, and the item it
   *  judges: what pairs two models' judgements of the same items (./compare.ts). */
  onJudgement?: (item: string, key: MetricKey, value: number) => void;
}

export interface EvalResult {
  metrics: Metrics;
  /** How many judgements each metric averages. */
  counts: Record<MetricKey, number>;
  /** 95% interval of each metric (Wilson for rates, normal approximation for means), null when n is 0. */
  intervals: Record<MetricKey, [number, number] | null>;
  /** The sums behind each metric, for pooling results (mergeResults). */
  stats: Record<MetricKey, MetricStat>;
  /** With EvalOptions.lenient: the same outputs judged with malformed shapes accepted. */
  lenient?: EvalResult;
}

const norm = (s: string) => s.trim().toLowerCase();
const pixels = (tok: Tokenizers, codes: Int32Array): RgbImage => {
  const size = tok.image.imageSize;
  // a cut-off image is padded with the first code valid at each missing position
  const full = codes.length === codesPerImage(tok.image) ? codes : drawnSoFar(tok.image, codes, codes.length);
  return { width: size, height: size, data: tok.image.decode([full])[0] };
};

export function evaluate(model: MultimodalModel, tok: Tokenizers, items: TaskItem[], o: EvalOptions = {}): EvalResult {
  const stats = emptyStats();
  const lenient = emptyStats();
  const only = o.keys ? new Set(o.keys) : null;
  let current = '';
  const noter = (into: Record<MetricKey, MetricStat>, report: boolean) => (k: MetricKey, v: number) => {
    if (only && !only.has(k)) return;
    into[k].n++;
    into[k].sum += v;
    into[k].sumSq += v * v;
    if (report) o.onJudgement?.(current, k, v);
  };
  const note = noter(stats, true);
  const noteLenient = noter(lenient, false);
  const opts: EvalOptions = { guidance: DEFAULT_GUIDANCE, temperature: 0, ...o };
  const room = o.minRoom ?? codesPerImage(tok.image) + 4;
  for (const [index, item] of items.entries()) {
    current = item.id;
    const cond = buildSequence(item, tok);
    const uncond = buildSequence(item, tok, { dropText: true });
    for (let k = 0; k < cond.turns.length; k++) {
      const turn = cond.turns[k];
      if (turn.role !== 'model') continue;
      const ut = uncond.turns[k];
      if (turn.start + 1 + room > model.config.blockSize) break;
      const cut = (s: typeof cond, end: number) => ({ ids: s.ids.slice(0, end), pos2d: s.pos2d.slice(0, end) });
      const ranked = (o.candidates ?? 1) > 1;
      // the segments before this turn
      const before = ranked
        ? cond.segments.filter((s) => s.end <= turn.start).map((s) => item.segments[s.segment])
        : [];
      const described = ranked ? askedOfImage(before, DESCRIBE) : null;
      const sign = ranked ? askedOfImage(before, READ_SIGN) : null;
      const gen = described
        ? bestCaption(model, tok, described, index, o.candidates!)
        : sign
          ? bestReading(model, tok, sign, index, o.candidates!)
          : ranked && isTextToImage(item, before, turn.start, cond)
            ? bestDrawing(model, tok, before, index, opts)
            : sampleTurn(model, tok, cut(cond, turn.start + 1), cut(uncond, ut.start + 1), opts);
      const expected = cond.segments.filter((s) => s.start >= turn.start && s.end <= turn.end);
      const produced: DecodedSegment[] = gen.segments;
      expected.forEach((span, j) => {
        const seg = item.segments[span.segment];
        const got = produced.filter((p) => p.kind === seg.kind)[
          expected.slice(0, j).filter((e) => e.kind === seg.kind).length
        ];
        judge(item, span.segment, got, tok, note, true);
        if (o.lenient) judge(item, span.segment, got, tok, noteLenient, false);
      });
    }
  }
  const r = summarise(stats);
  return o.lenient ? { ...r, lenient: summarise(lenient) } : r;
}

/** The temperature of the candidates EvalOptions.candidates draws (generate's default). */
export const CANDIDATE_TEMPERATURE = 0.7;

type Built = ReturnType<typeof buildSequence>;

/** A model turn that draws an image from the user's text alone: the first turn, after user text only. */
function isTextToImage(item: TaskItem, before: readonly Segment[], start: number, cond: Built): boolean {
  const after = cond.segments.find((s) => s.start >= start);
  return (
    before.length > 0 &&
    before.every((s) => s.role === 'user' && s.kind === 'text') &&
    !!after &&
    item.segments[after.segment].kind === 'image'
  );
}

/** The image of a model turn that answers `question` about it alone (DESCRIBE: the caption task;
 *  READ_SIGN: the ocr task's question, which vqa also asks), or null. */
function askedOfImage(before: readonly Segment[], question: string): ImageRef | null {
  if (before.length !== 2) return null;
  const [image, ask] = before;
  return image.role === 'user' && image.image && ask.kind === 'text' && ask.text === question ? image.image : null;
}

/** EvalOptions.candidates readings of the image's sign; the one readSign ranks first. */
function bestReading(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  index: number,
  candidates: number,
): { segments: DecodedSegment[] } {
  const { word } = readSign(model, tok, image, { candidates, seed: index });
  return { segments: [{ role: 'model', kind: 'text', text: word }] };
}

/** EvalOptions.candidates captions of the image; the one describeImage ranks first. */
function bestCaption(
  model: MultimodalModel,
  tok: Tokenizers,
  image: ImageRef,
  index: number,
  candidates: number,
): { segments: DecodedSegment[] } {
  const { caption } = describeImage(model, tok, image, { candidates, seed: index });
  return { segments: [{ role: 'model', kind: 'text', text: caption }] };
}

/** EvalOptions.candidates drawings of a text-to-image turn, as generate --candidates draws them (seed:
 *  the item's index); the one the model reads most as the prompt. */
function bestDrawing(
  model: MultimodalModel,
  tok: Tokenizers,
  before: Segment[],
  index: number,
  o: EvalOptions,
): { segments: DecodedSegment[] } {
  const prompt = before.find((s) => s.kind === 'text')?.text ?? '';
  const [codes] = drawCodes(
    model,
    tok,
    before,
    { ...o, n: 1, temperature: CANDIDATE_TEMPERATURE, seed: index },
    readingText(prompt),
  );
  return { segments: [{ role: 'model', kind: 'image', codes }] };
}

function emptyStats(): Record<MetricKey, MetricStat> {
  return Object.fromEntries(METRIC_KEYS.map((k) => [k, { n: 0, sum: 0, sumSq: 0 }])) as Record<MetricKey, MetricStat>;
}

/** Metrics, counts and intervals from the sums; understanding pools caption, questions and sign reading. */
export function summarise(input: Record<MetricKey, MetricStat>): EvalResult {
  const stats = Object.fromEntries(METRIC_KEYS.map((k) => [k, { ...input[k] }])) as Record<MetricKey, MetricStat>;
  stats.understanding_acc = { n: 0, sum: 0, sumSq: 0 };
  for (const k of ['caption_acc', 'vqa_acc', 'ocr_acc'] as const)
    for (const f of ['n', 'sum', 'sumSq'] as const) stats.understanding_acc[f] += stats[k][f];
  const metrics = {} as Metrics;
  const counts = {} as Record<MetricKey, number>;
  const intervals = {} as EvalResult['intervals'];
  for (const k of METRIC_KEYS) {
    const s = stats[k];
    counts[k] = s.n;
    metrics[k] = s.n ? s.sum / s.n : null;
    intervals[k] = MEAN_METRICS.includes(k) ? meanInterval(s) : wilson(s.sum, s.n);
  }
  return { metrics, counts, intervals, stats };
}

/** Pools two evaluations: `from` contributes only the metrics in `keys` (e.g. factor items for FACTOR_KEYS). */
export function mergeResults(base: EvalResult, from: EvalResult, keys: readonly MetricKey[]): EvalResult {
  const merged = mergeStats(base, from, keys);
  if (base.lenient && from.lenient) merged.lenient = mergeStats(base.lenient, from.lenient, keys);
  return merged;
}

function mergeStats(base: EvalResult, from: EvalResult, keys: readonly MetricKey[]): EvalResult {
  const stats = emptyStats();
  for (const k of METRIC_KEYS) {
    const add = keys.includes(k) ? from.stats[k] : { n: 0, sum: 0, sumSq: 0 };
    stats[k] = { n: base.stats[k].n + add.n, sum: base.stats[k].sum + add.sum, sumSq: base.stats[k].sumSq + add.sumSq };
  }
  return summarise(stats);
}

/** The image shown before segment i (what an edit must preserve). */
function previousImage(item: TaskItem, i: number): ImageRef | null {
  for (let j = i - 1; j >= 0; j--) if (item.segments[j].image) return item.segments[j].image!;
  return null;
}

type Note = (k: MetricKey, v: number) => void;

function judge(
  item: TaskItem,
  i: number,
  got: DecodedSegment | undefined,
  tok: Tokenizers,
  note: Note,
  tolerant: boolean,
): void {
  const seg = item.segments[i];
  const text = got?.kind === 'text' ? got.text : '';
  const img = got?.kind === 'image' ? pixels(tok, got.codes) : null;
  const check = seg.check;
  if (seg.kind === 'text') {
    if (!check) return;
    if (check.type === 'plan') {
      const want = check.steps.map((s, n) => `${n + 1}. ${s}`).join('\n');
      note('compound_plan_acc', norm(text) === norm(want) ? 1 : 0);
      return;
    }
    if (check.type !== 'text') return;
    const ok = norm(text) === norm(check.answer) ? 1 : 0;
    const key: Partial<Record<string, MetricKey>> = {
      caption: 'caption_acc',
      vqa: 'vqa_acc',
      ocr: 'ocr_acc',
      fact: 'fact_acc',
      imagine: 'imagine_answer_acc',
      emoji_caption: 'emoji_caption_acc',
    };
    const k = key[item.task];
    if (k) note(k, ok);
    judgeTextAttributes(item, i, text, ok, note);
    return;
  }
  if (!check) {
    // Emoji edits: no scene to parse; the fraction of target pixels matched within 24 per channel.
    if (item.task === 'emoji_edit') note('emoji_edit_pixel_match', img ? preservation(seg.image!.pixels, img, []) : 0);
    return;
  }
  if (check.type !== 'scene' && check.type !== 'edit') return;
  const read = img ? parseImageFits(img) : null;
  const parsed = read?.scene ?? null;
  const fits = tolerant ? (read?.fits ?? []) : [];
  const ok = parsed ? (compareScenes(check.scene, parsed, fits).ok ? 1 : 0) : 0;
  if (check.type === 'scene') {
    note(item.task === 'fact_t2i' ? 'knowledge_transfer_acc' : 't2i_acc', ok);
    if (item.task === 't2i') judgeT2iObjects(check.scene, parsed, fits, note);
  } else {
    note('edit_success', ok);
    const before = previousImage(item, i);
    if (before) note('edit_preservation', img ? preservation(before.pixels, img, check.regions) : 0);
    if (before?.scene) judgeKept(before.scene, check.scene, parsed, fits, note);
  }
  if (check.scene.sign && (check.type === 'scene' || item.task === 't2i')) {
    const w = wordMetrics(check.scene.sign, parsed?.sign ?? null);
    note('text_render_word_acc', w.exact ? 1 : 0);
    note('text_render_ned', w.ned);
    note(
      isHeldoutWord(check.scene.sign) ? 'text_render_heldout_word_acc' : 'text_render_trained_word_acc',
      w.exact ? 1 : 0,
    );
  }
}

/** An object drawn as asked: in its cell, right color, shape and size, and not malformed. */
export function objectDrawn(e: SceneObject, parsed: Scene | null, fits: readonly ObjectFit[]): boolean {
  const a = parsed?.objects.find((o) => o.cell === e.cell);
  const fit = fits.find((f) => f.cell === e.cell);
  return !!a && a.color === e.color && a.shape === e.shape && a.size === e.size && (!fit || wellFormed(fit));
}

/** The character drawn with the asked identity in its cell. */
function sameIdentity(e: Character, a: Character | null | undefined): boolean {
  return !!a && a.cell === e.cell && a.face === e.face && a.eyes === e.eyes && a.body === e.body;
}

function judgeT2iObjects(want: Scene, parsed: Scene | null, fits: readonly ObjectFit[], note: Note): void {
  note('t2i_background_acc', parsed?.background === want.background ? 1 : 0);
  const withPair = want.objects.some((o) => isHeldoutPair(o.color, o.shape));
  for (const e of want.objects) {
    const ok = objectDrawn(e, parsed, fits) ? 1 : 0;
    note('t2i_object_acc', ok);
    if (isHeldoutPair(e.color, e.shape)) note('t2i_heldout_pair_object_acc', ok);
    else if (withPair) note('t2i_trained_pair_object_acc', ok);
  }
  if (want.character)
    note(
      isHeldoutIdentity(want.character) ? 't2i_heldout_identity_acc' : 't2i_trained_identity_acc',
      sameIdentity(want.character, parsed?.character) ? 1 : 0,
    );
}

/** What an edit must leave alone: objects of the scene before, unchanged after; and the character's identity. */
function judgeKept(before: Scene, after: Scene, parsed: Scene | null, fits: readonly ObjectFit[], note: Note): void {
  for (const b of before.objects) {
    const same = after.objects.some(
      (a) => a.cell === b.cell && a.color === b.color && a.shape === b.shape && a.size === b.size,
    );
    if (!same) continue;
    note(
      isHeldoutPair(b.color, b.shape) ? 'edit_heldout_pair_kept' : 'edit_trained_pair_kept',
      objectDrawn(b, parsed, fits) ? 1 : 0,
    );
  }
  const c = after.character;
  if (c && before.character && sameIdentity(c, before.character))
    note(
      isHeldoutIdentity(c) ? 'edit_heldout_identity_kept' : 'edit_trained_identity_kept',
      sameIdentity(c, parsed?.character) ? 1 : 0,
    );
}

/** Per-attribute scores of captions and answers, and held-out against trained words read off signs. */
function judgeTextAttributes(item: TaskItem, i: number, text: string, ok: number, note: Note): void {
  const shown = previousImage(item, i)?.scene;
  if (item.task === 'caption' && shown) {
    const withPair = shown.objects.some((o) => isHeldoutPair(o.color, o.shape));
    judgeCaption(
      shown,
      text,
      (a, v) => note(`caption_${a}_acc` as MetricKey, v ? 1 : 0),
      (o, named) => {
        if (isHeldoutPair(o.color, o.shape)) note('caption_heldout_pair_object_acc', named ? 1 : 0);
        else if (withPair) note('caption_trained_pair_object_acc', named ? 1 : 0);
      },
    );
  }
  if (item.task === 'vqa') {
    const q = [...item.segments.slice(0, i)].reverse().find((s) => s.kind === 'text' && s.role === 'user');
    const want = item.segments[i].check;
    if (q?.text && want?.type === 'text')
      judgeAnswer(q.text, want.answer, text, (a, v) => note(`vqa_${a}_acc` as MetricKey, v ? 1 : 0));
  }
  if (item.task === 'ocr' && shown?.sign)
    note(isHeldoutWord(shown.sign) ? 'ocr_heldout_word_acc' : 'ocr_trained_word_acc', ok);
}

/** Training's evaluator (runTraining's `evaluate`): evalN held-out items of each task the run trains on,
 *  drawn once, judged at every evaluation. */
export function trainingEvaluator(): (t: {
  model: MultimodalModel;
  tok: Tokenizers;
  mixture: { taskKinds: readonly TaskKind[] };
  config: { evalN: number };
}) => Metrics {
  let items: TaskItem[] | null = null;
  return (t) => {
    items ??= evaluationItems(t.mixture.taskKinds, t.config.evalN);
    return evaluate(t.model, t.tok, items).metrics;
  };
}
