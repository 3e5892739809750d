// Evaluation by the verifier, never by the model under test: for every model turn of every held-out item,
// the model continues the ground-truth conversation up to that turn (one sampler: src/infer/sample.ts),
// and what it produced is judged: text answers by exact match, images by parsing them back into scenes
// (src/data verifier), edits also by preservation outside the edit region, sign words by word accuracy
// and normalised edit distance, emoji edits by the fraction of pixels that match the target.
import {
  compareScenes,
  evaluationItems,
  type ImageRef,
  parseImage,
  preservation,
  type RgbImage,
  type TaskItem,
  type TaskKind,
  wordMetrics,
} from '../data/index.js';
import { DEFAULT_GUIDANCE, type SampleOptions, sampleTurn } from '../infer/index.js';
import type { MultimodalModel } from '../model/index.js';
import { buildSequence, type DecodedSegment, type Tokenizers } from '../model/index.js';

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
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
export type Metrics = Record<MetricKey, number | null>;

export interface EvalOptions extends SampleOptions {
  /** Skip model turns whose prompt leaves less room than this many tokens (default: one image). */
  minRoom?: number;
}

export interface EvalResult {
  metrics: Metrics;
  /** How many judgements each metric averages. */
  counts: Record<MetricKey, number>;
}

const norm = (s: string) => s.trim().toLowerCase();
const pixels = (tok: Tokenizers, codes: Int32Array): RgbImage => {
  const size = tok.image.imageSize;
  const full =
    codes.length === tok.image.grid ** 2
      ? codes
      : Int32Array.from({ length: tok.image.grid ** 2 }, (_, i) => codes[i] ?? 0);
  return { width: size, height: size, data: tok.image.decode([full])[0] };
};

export function evaluate(model: MultimodalModel, tok: Tokenizers, items: TaskItem[], o: EvalOptions = {}): EvalResult {
  const sums = new Map<MetricKey, number[]>();
  const note = (k: MetricKey, v: number) => {
    const l = sums.get(k) ?? [];
    l.push(v);
    sums.set(k, l);
  };
  const opts: EvalOptions = { guidance: DEFAULT_GUIDANCE, temperature: 0, ...o };
  const room = o.minRoom ?? tok.image.grid ** 2 + 4;
  for (const item of items) {
    const cond = buildSequence(item, tok);
    const uncond = buildSequence(item, tok, { dropText: true });
    for (let k = 0; k < cond.turns.length; k++) {
      const turn = cond.turns[k];
      if (turn.role !== 'model') continue;
      const ut = uncond.turns[k];
      if (turn.start + 1 + room > model.config.blockSize) break;
      const cut = (s: typeof cond, end: number) => ({ ids: s.ids.slice(0, end), pos2d: s.pos2d.slice(0, end) });
      const gen = sampleTurn(model, tok, cut(cond, turn.start + 1), cut(uncond, ut.start + 1), opts);
      const expected = cond.segments.filter((s) => s.start >= turn.start && s.end <= turn.end);
      const produced: DecodedSegment[] = gen.segments;
      expected.forEach((span, j) => {
        const seg = item.segments[span.segment];
        const got = produced.filter((p) => p.kind === seg.kind)[
          expected.slice(0, j).filter((e) => e.kind === seg.kind).length
        ];
        judge(item, span.segment, got, tok, note);
      });
    }
  }
  const metrics = {} as Metrics;
  const counts = {} as Record<MetricKey, number>;
  for (const k of METRIC_KEYS) {
    const l = sums.get(k) ?? [];
    counts[k] = l.length;
    metrics[k] = l.length ? l.reduce((a, b) => a + b, 0) / l.length : null;
  }
  const und = (['caption_acc', 'vqa_acc', 'ocr_acc'] as const).filter((k) => counts[k] > 0);
  counts.understanding_acc = und.reduce((a, k) => a + counts[k], 0);
  metrics.understanding_acc = und.length
    ? und.reduce((a, k) => a + (metrics[k] as number) * counts[k], 0) / counts.understanding_acc
    : null;
  return { metrics, counts };
}

/** The image shown before segment i (what an edit must preserve). */
function previousImage(item: TaskItem, i: number): ImageRef | null {
  for (let j = i - 1; j >= 0; j--) if (item.segments[j].image) return item.segments[j].image!;
  return null;
}

function judge(
  item: TaskItem,
  i: number,
  got: DecodedSegment | undefined,
  tok: Tokenizers,
  note: (k: MetricKey, v: number) => void,
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
    return;
  }
  if (!check) {
    // Emoji edits: no scene to parse; the fraction of target pixels matched within 24 per channel.
    if (item.task === 'emoji_edit') note('emoji_edit_pixel_match', img ? preservation(seg.image!.pixels, img, []) : 0);
    return;
  }
  if (check.type !== 'scene' && check.type !== 'edit') return;
  const parsed = img ? parseImage(img) : null;
  const ok = parsed ? (compareScenes(check.scene, parsed).ok ? 1 : 0) : 0;
  if (check.type === 'scene') {
    note(item.task === 'fact_t2i' ? 'knowledge_transfer_acc' : 't2i_acc', ok);
    if (item.task === 't2i') {
      note('t2i_background_acc', parsed?.background === check.scene.background ? 1 : 0);
      for (const e of check.scene.objects) {
        const a = parsed?.objects.find((o) => o.cell === e.cell);
        note('t2i_object_acc', a && a.color === e.color && a.shape === e.shape && a.size === e.size ? 1 : 0);
      }
    }
  } else {
    note('edit_success', ok);
    const before = previousImage(item, i);
    if (before) note('edit_preservation', img ? preservation(before.pixels, img, check.regions) : 0);
  }
  if (check.scene.sign && (check.type === 'scene' || item.task === 't2i')) {
    const w = wordMetrics(check.scene.sign, parsed?.sign ?? null);
    note('text_render_word_acc', w.exact ? 1 : 0);
    note('text_render_ned', w.ned);
  }
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
