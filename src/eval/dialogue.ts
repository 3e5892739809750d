// Dialogue evaluation, judged by the verifier on held-out scenes (or fresh trained combinations), with the model's own outputs fed back
// (closed loop, unlike `evaluate`, which continues the ground-truth conversation):
// - 5-turn edit chains from scenes with a character: share of turns right, share of chains with every turn
//   right, share of chains where the character keeps its identity (face, eyes, body) in every turn, and
//   preservation outside each turn's edit;
// - compound instructions: one shot vs decomposed (the model's own plan, executed turn by turn) vs the
//   true plan executed turn by turn; plan accuracy; step by step minus one shot on the same items, with
//   Newcombe's paired interval (the claim "decomposition beats one shot" is that interval above 0);
// - imagine then answer (draw the changed scene, then answer about it) vs answering directly (one text
//   turn for the same prompt), and, for reference, answering about the unchanged image.
// Every metric comes with its count and 95% interval.
import {
  DEFAULT_SCENE_OPTIONS,
  makeWorldItem,
  preservation,
  type RgbImage,
  renderScene,
  type Scene,
  type Split,
  sampleChain,
  sampleScene,
  verifyImage,
} from '../data/index.js';
import {
  answerText,
  type Engine,
  executePlan,
  type History,
  imagineThenAnswer,
  oneShot,
  planSteps,
  Session,
} from '../infer/index.js';
import { Rng } from '../tensor/index.js';
import { meanInterval, type PairedDifference, pairedDifference, wilson } from './interval.js';

export const DIALOGUE_KEYS = [
  'chain_turn_acc',
  'chain_all_turns_acc',
  'chain_identity_kept',
  'chain_preservation',
  'compound_plan_acc',
  'compound_one_shot_acc',
  'compound_decomposed_acc',
  'compound_true_plan_acc',
  'imagine_then_answer_acc',
  'imagine_one_turn_acc',
  'direct_answer_acc',
  'unchanged_image_answer_acc',
] as const;
export type DialogueKey = (typeof DIALOGUE_KEYS)[number];
export type DialogueMetrics = Record<DialogueKey, number | null>;
/** What a dialogue evaluation measures; every part by default. */
export const DIALOGUE_PARTS = ['chain', 'compound', 'imagine'] as const;
export type DialoguePart = (typeof DIALOGUE_PARTS)[number];

export interface DialogueResult {
  metrics: DialogueMetrics;
  /** Judgements behind each metric (0 where its part was not run). */
  counts: Record<DialogueKey, number>;
  /** 95% intervals: Wilson for rates, the normal approximation for chain_preservation (a mean). */
  intervals: Record<DialogueKey, [number, number] | null>;
  /** Step by step (the model's own plan, turn by turn) minus one shot, on the same compound items. */
  stepByStepMinusOneShot: PairedDifference | null;
}

export interface DialogueOptions {
  /** Chains, compound items and imagine items each. */
  n: number;
  chainLength?: number;
  seed?: number;
  /** Held-out combinations (default) or fresh scenes of trained ones. */
  split?: Split;
  /** The parts to run (default: all). */
  parts?: readonly DialoguePart[];
  /** Plans (and the one-shot turn's plan) copy the instruction's tokens (default true; plan.ts). */
  copyPlans?: boolean;
  /** What each turn of a chain or a plan's execution sees (TurnOptions.history; default DEFAULT_HISTORY). */
  history?: History;
  /** KEEP's bias for chain turns and plan steps (TurnOptions.keepBias; default DEFAULT_KEEP_BIAS). */
  keepBias?: number;
  onItem?: (what: string, i: number) => void;
}

const mean = (l: number[]) => (l.length ? l.reduce((a, b) => a + b, 0) / l.length : null);
const norm = (s: string) => s.trim().toLowerCase();
const sameIdentity = (a: Scene['character'], b: Scene['character']) =>
  !!a && !!b && a.face === b.face && a.eyes === b.eyes && a.body === b.body;

export function evaluateDialogue(engine: Engine, o: DialogueOptions): DialogueResult {
  const seed = o.seed ?? 2000;
  const split = o.split ?? 'heldout';
  const len = o.chainLength ?? 5;
  const parts = new Set(o.parts ?? DIALOGUE_PARTS);
  for (const p of parts)
    if (!DIALOGUE_PARTS.includes(p)) throw new Error(`unknown dialogue part "${p}": ${DIALOGUE_PARTS.join(', ')}`);
  const copy = o.copyPlans ?? true;
  const acc: Record<DialogueKey, number[]> = Object.fromEntries(DIALOGUE_KEYS.map((k) => [k, []])) as never;
  const ok = (expected: Scene, img: RgbImage | null) => (img ? verifyImage(expected, img).ok : false);

  for (let i = 0; i < (parts.has('chain') ? o.n : 0); i++) {
    o.onItem?.('chain', i);
    const rng = Rng.world(seed).fork(i);
    const start = sampleScene(rng, split, { ...DEFAULT_SCENE_OPTIONS, pCharacter: 1 });
    const steps = sampleChain(rng, start, split, len);
    const session = new Session(`chain-${i}`);
    let prev = renderScene(start);
    let all = true;
    let identity = true;
    steps.forEach((st, k) => {
      const t = session.addTurn(engine, k === 0 ? { image: prev, text: st.instruction } : { text: st.instruction }, {
        mode: 'image',
        history: o.history,
        keepBias: o.keepBias,
      });
      const out = t.output.find((x) => x.kind === 'image');
      const img = out?.kind === 'image' ? out.image : null;
      const v = img ? verifyImage(st.after, img) : null;
      acc.chain_turn_acc.push(v?.ok ? 1 : 0);
      all &&= !!v?.ok;
      if (st.after.character) identity &&= !!v && sameIdentity(st.after.character, v.parsed.character);
      acc.chain_preservation.push(img ? preservation(prev, img, st.regions) : 0);
      if (img) prev = img;
    });
    acc.chain_all_turns_acc.push(all ? 1 : 0);
    acc.chain_identity_kept.push(identity ? 1 : 0);
  }

  for (let i = 0; i < (parts.has('compound') ? o.n : 0); i++) {
    o.onItem?.('compound', i);
    const item = makeWorldItem('compound', split, seed, i);
    const image = item.segments[0].image!.pixels;
    const instruction = item.segments[1].text!;
    const planCheck = item.segments[2].check;
    const finalCheck = item.segments[3].check;
    if (planCheck?.type !== 'plan' || finalCheck?.type !== 'edit') throw new Error(`${item.id}: unexpected layout`);
    const plan = planSteps(engine, image, instruction, { copy });
    acc.compound_plan_acc.push(plan.steps.join('\n') === planCheck.steps.join('\n') ? 1 : 0);
    acc.compound_one_shot_acc.push(ok(finalCheck.scene, oneShot(engine, image, instruction, { copy }).image) ? 1 : 0);
    const { history, keepBias } = o;
    const decomposed = plan.steps.length ? executePlan(engine, image, plan.steps, { history, keepBias }).final : null;
    acc.compound_decomposed_acc.push(ok(finalCheck.scene, decomposed) ? 1 : 0);
    const truePlan = executePlan(engine, image, planCheck.steps, { history, keepBias }).final;
    acc.compound_true_plan_acc.push(ok(finalCheck.scene, truePlan) ? 1 : 0);
  }

  for (let i = 0; i < (parts.has('imagine') ? o.n : 0); i++) {
    o.onItem?.('imagine', i);
    const item = makeWorldItem('imagine', split, seed, i);
    const image = item.segments[0].image!.pixels;
    const prompt = item.segments[1].text!;
    const m = /^imagine we (.+)\. then answer: (.+)$/.exec(prompt);
    const check = item.segments[3].check;
    if (!m || check?.type !== 'text') throw new Error(`${item.id}: unexpected layout`);
    const [, change, question] = m;
    const right = (s: string) => (norm(s) === norm(check.answer) ? 1 : 0);
    acc.imagine_then_answer_acc.push(right(imagineThenAnswer(engine, image, change, question).answer));
    const native = new Session().addTurn(engine, { image, text: prompt }, { mode: 'auto' });
    const said = native.output.filter((x) => x.kind === 'text').map((x) => (x as { text: string }).text);
    acc.imagine_one_turn_acc.push(right(said[said.length - 1] ?? ''));
    acc.direct_answer_acc.push(right(answerText(engine, image, prompt)));
    acc.unchanged_image_answer_acc.push(right(answerText(engine, image, question)));
  }
  const interval = (k: DialogueKey): [number, number] | null => {
    const l = acc[k];
    const sum = l.reduce((a, b) => a + b, 0);
    if (k !== 'chain_preservation') return wilson(sum, l.length);
    return meanInterval({ n: l.length, sum, sumSq: l.reduce((a, b) => a + b * b, 0) });
  };
  return {
    metrics: Object.fromEntries(DIALOGUE_KEYS.map((k) => [k, mean(acc[k])])) as DialogueMetrics,
    counts: Object.fromEntries(DIALOGUE_KEYS.map((k) => [k, acc[k].length])) as Record<DialogueKey, number>,
    intervals: Object.fromEntries(DIALOGUE_KEYS.map((k) => [k, interval(k)])) as DialogueResult['intervals'],
    stepByStepMinusOneShot: pairedDifference(acc.compound_decomposed_acc, acc.compound_one_shot_acc),
  };
}
