// Dialogue evaluation, judged by the verifier on held-out scenes (or fresh trained combinations), with the model's own outputs fed back
// (closed loop, unlike `evaluate`, which continues the ground-truth conversation):
// - 5-turn edit chains from scenes with a character: share of turns right, share of chains with every turn
//   right, share of chains where the character keeps its identity (face, eyes, body) in every turn, and
//   preservation outside each turn's edit;
// - compound instructions: one shot vs decomposed (the model's own plan, executed turn by turn) vs the
//   true plan executed turn by turn; plan accuracy;
// - imagine then answer (draw the changed scene, then answer about it) vs answering directly (one text
//   turn for the same prompt), and, for reference, answering about the unchanged image.
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
  imagineThenAnswer,
  oneShot,
  planSteps,
  Session,
} from '../infer/index.js';
import { Rng } from '../tensor/index.js';

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

export interface DialogueOptions {
  /** Chains, compound items and imagine items each. */
  n: number;
  chainLength?: number;
  seed?: number;
  /** Held-out combinations (default) or fresh scenes of trained ones. */
  split?: Split;
  onItem?: (what: string, i: number) => void;
}

const mean = (l: number[]) => (l.length ? l.reduce((a, b) => a + b, 0) / l.length : null);
const norm = (s: string) => s.trim().toLowerCase();
const sameIdentity = (a: Scene['character'], b: Scene['character']) =>
  !!a && !!b && a.face === b.face && a.eyes === b.eyes && a.body === b.body;

export function evaluateDialogue(engine: Engine, o: DialogueOptions): DialogueMetrics {
  const seed = o.seed ?? 2000;
  const split = o.split ?? 'heldout';
  const len = o.chainLength ?? 5;
  const acc: Record<DialogueKey, number[]> = Object.fromEntries(DIALOGUE_KEYS.map((k) => [k, []])) as never;
  const ok = (expected: Scene, img: RgbImage | null) => (img ? verifyImage(expected, img).ok : false);

  for (let i = 0; i < o.n; i++) {
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

  for (let i = 0; i < o.n; i++) {
    o.onItem?.('compound', i);
    const item = makeWorldItem('compound', split, seed, i);
    const image = item.segments[0].image!.pixels;
    const instruction = item.segments[1].text!;
    const planCheck = item.segments[2].check;
    const finalCheck = item.segments[3].check;
    if (planCheck?.type !== 'plan' || finalCheck?.type !== 'edit') throw new Error(`${item.id}: unexpected layout`);
    const plan = planSteps(engine, image, instruction);
    acc.compound_plan_acc.push(plan.steps.join('\n') === planCheck.steps.join('\n') ? 1 : 0);
    acc.compound_one_shot_acc.push(ok(finalCheck.scene, oneShot(engine, image, instruction).image) ? 1 : 0);
    const decomposed = plan.steps.length ? executePlan(engine, image, plan.steps).final : null;
    acc.compound_decomposed_acc.push(ok(finalCheck.scene, decomposed) ? 1 : 0);
    acc.compound_true_plan_acc.push(ok(finalCheck.scene, executePlan(engine, image, planCheck.steps).final) ? 1 : 0);
  }

  for (let i = 0; i < o.n; i++) {
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
  return Object.fromEntries(DIALOGUE_KEYS.map((k) => [k, mean(acc[k])])) as DialogueMetrics;
}
