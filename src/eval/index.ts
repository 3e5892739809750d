// Evaluation's public face: the verifier judges what the model produced, never the model itself.
//
// - Single turns: evaluate (every model turn of held-out items: answers, images, edits, signs, emoji) and
//   trainingEvaluator (the callback runTraining calls).
// - Dialogues: evaluateDialogue (closed-loop edit chains, plans, imagine-then-answer).
export {
  DIALOGUE_KEYS,
  type DialogueKey,
  type DialogueMetrics,
  type DialogueOptions,
  evaluateDialogue,
} from './dialogue.js';
export {
  type EvalOptions,
  type EvalResult,
  evaluate,
  METRIC_KEYS,
  type MetricKey,
  type Metrics,
  trainingEvaluator,
} from './evaluate.js';
