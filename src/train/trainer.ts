// One training run's state and its step: model, optimizer, tokenizers, the mixture cursor and the RNGs.
// Everything a step depends on is saved in the checkpoint (weights, optimizer moments and step, RNG states,
// data cursors, planned steps), so a resumed run computes exactly the losses the uninterrupted one would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorldItems, type TaskKind } from '../data/index.js';
import type { Tokenizers } from '../model/index.js';
import {
  codesPerImageOf,
  loadModel,
  MODEL_PRESETS,
  MultimodalModel,
  modelConfig,
  saveModel,
  TwoCodeTokenizer,
  tokenizerFactors,
} from '../model/index.js';
import {
  AdamW,
  clipGradNorm,
  concat,
  cosineLr,
  crossEntropy,
  linear,
  noGrad,
  Params,
  Rng,
  Tensor,
  tidy,
} from '../tensor/index.js';
import { changedCodeWeights, keepTargets, makeBatch, residualDropFlags } from './batch.js';
import { BucketBatcher } from './buckets.js';
import { type TrainConfig, trainConfig } from './config.js';
import { Mixture, type MixtureState } from './mixture.js';
import { loadOwnData, type OwnData, OwnDataError } from './own-data.js';
import { type BatchSource, BucketBatches, CacheBatches, MixtureBatches, type SourceState } from './sources.js';
import { buildTokenizers } from './tokenizers.js';

export const TRAIN_CONFIG_FILE = 'train-config.json';

export interface StepResult {
  step: number;
  loss: number;
  textLoss: number | null;
  imageLoss: number | null;
  /** Mean loss of the produced tokens of each task kind present in the batch. */
  taskLoss: Partial<Record<TaskKind, number>>;
  lr: number;
  gradNorm: number;
  /** Items (sequences, padding rows not counted) in this step's batch: summed, the items a run has seen. */
  items: number;
}

/** state.json: the trainer's own state, and its batch source's (cache cursor or bucket pool). */
interface SavedState extends SourceState {
  step: number;
  plannedSteps: number;
  mixture: MixtureState;
  dropRng: { state: number; spare: number | null };
  /** With own data (config.data): the digest of what was loaded, checked on resume. */
  ownDigest?: string;
}

export class Trainer {
  step = 0;
  plannedSteps: number;
  private readonly dropRng: Rng;
  /** Where batches come from: bucketed batches when config.batchTokens > 0, fixed mixture batches
   *  otherwise, or a token cache (useCache). */
  private source: BatchSource;

  private constructor(
    readonly config: Readonly<TrainConfig>,
    readonly model: MultimodalModel,
    readonly tok: Tokenizers,
    readonly optimizer: AdamW,
    readonly mixture: Mixture,
    /** The user's own data (config.data), or null. */
    readonly own: OwnData | null = null,
  ) {
    this.plannedSteps = config.steps;
    this.dropRng = new Rng(config.seed * 7919 + 1);
    const { blockSize } = model.config;
    const { condDropout } = config;
    this.source =
      config.batchTokens > 0
        ? new BucketBatches(new BucketBatcher(mixture, this.dropRng, tok, blockSize, condDropout, config.batchTokens))
        : new MixtureBatches(mixture, this.dropRng, tok, blockSize, condDropout, config.batchSize);
  }

  /** A fresh run: trains the tokenizers and builds the model from the preset sized to them, or (config.init)
   *  loads a model folder's weights and tokenizers to fine-tune; the optimizer is new either way. */
  static create(config: Readonly<TrainConfig>): Trainer {
    const loaded = config.init ? loadModel(config.init) : Trainer.freshModel(config);
    const { tok } = loaded;
    if (
      loaded.model.config.codesPerPatch > 1 &&
      (config.tileEdges || config.maskColorRank || config.codeFactors || config.codeResidualDrop)
    )
      throw new Error(
        `train config: ${config.init} is a two-code model (codes are plain rows): tileEdges, maskColorRank, codeFactors and codeResidualDrop do not apply to it`,
      );
    const upgrade = config.keepCode === 1 && loaded.model.config.keepCode === 0;
    const kept = upgrade ? calibrateKeep(loaded.model.withKeepCode(tok.image), tok, config.seed) : loaded.model;
    const edged = config.tileEdges ? kept.withTileEdges(tok.image) : kept;
    const model = config.maskColorRank
      ? edged.withMaskColor(config.maskColorRank, tok.image)
      : config.codeFactors
        ? edged.withCodeFactors(tok.image)
        : edged;
    const own = config.data ? loadOwnData(config.data) : null;
    return new Trainer(config, model, tok, Trainer.optimizerFor(model, config), Trainer.mixtureFor(config, own), own);
  }

  private static freshModel(config: Readonly<TrainConfig>): { model: MultimodalModel; tok: Tokenizers } {
    const built = buildTokenizers(config.textVocab, config.imageCodes, config.seed);
    const tok = config.twoCodes ? { ...built, image: new TwoCodeTokenizer(built.image) } : built;
    const preset = MODEL_PRESETS[config.model];
    const mc = modelConfig(
      {
        ...(config.twoCodes ? { codesPerPatch: 2, blockSize: 2 * preset.blockSize } : {}),
        textVocabSize: tok.text.vocabSize,
        imageCodebookSize: tok.image.codebookSize,
        seed: config.seed,
        keepCode: config.keepCode,
        maskColorRank: config.maskColorRank,
        tileEdges: config.tileEdges,
        codeFactorRows: config.codeFactors ? tokenizerFactors(tok.image).rows : 0,
      },
      config.model,
    );
    return { model: new MultimodalModel(mc, tok.image), tok };
  }

  private static mixtureFor(config: Readonly<TrainConfig>, own: OwnData | null): Mixture {
    return new Mixture(config.mixture, config.seed, 200, own ? { items: own.train, ratio: config.dataRatio } : null);
  }

  /** Stream batches from a token cache (written with this run's tokenizers) instead of the mixture. */
  useCache(path: string): void {
    this.source = new CacheBatches(
      path,
      this.tok,
      this.config.seed,
      this.model.config.blockSize,
      this.config.batchSize,
    );
  }

  private static optimizerFor(model: MultimodalModel, c: Readonly<TrainConfig>): AdamW {
    return new AdamW(model.params, { lr: c.lr, weightDecay: c.weightDecay });
  }

  /** Resume from a checkpoint directory written by save(). */
  static resume(dir: string): Trainer {
    const config = trainConfig(JSON.parse(readFileSync(join(dir, TRAIN_CONFIG_FILE), 'utf8')), 'default');
    const { model, tok, optimizer, state } = loadModel(dir, (m) => Trainer.optimizerFor(m, config));
    if (!state) throw new Error(`${dir}: no state.json; HINT: this checkpoint cannot be resumed, start a new run`);
    const s = state as SavedState;
    const own = config.data ? loadOwnData(config.data) : null;
    if (own && own.digest !== s.ownDigest)
      throw new OwnDataError(
        `${dir}: the training data ${config.data} changed since this run started (its items differ); HINT: a resumed run continues on the same data: restore it, or start a new run on the new data`,
      );
    const t = new Trainer(config, model, tok, optimizer!, Trainer.mixtureFor(config, own), own);
    t.step = s.step;
    t.plannedSteps = s.plannedSteps;
    t.mixture.setState(s.mixture);
    t.dropRng.setState(s.dropRng);
    if (s.cache) t.useCache(s.cache.path);
    t.source.restore(s);
    return t;
  }

  save(dir: string): void {
    const state: SavedState = {
      step: this.step,
      plannedSteps: this.plannedSteps,
      mixture: this.mixture.getState(),
      dropRng: this.dropRng.getState(),
      ...(this.own ? { ownDigest: this.own.digest } : {}),
      ...this.source.state(),
    };
    saveModel(dir, this.model, this.tok, {
      optimizer: this.optimizer,
      state,
      files: { [TRAIN_CONFIG_FILE]: JSON.stringify(this.config, null, 2) },
    });
  }

  /** One optimisation step on a fresh batch from the mixture. */
  trainStep(): StepResult {
    const c = this.config;
    const b = this.source.next();
    const lr = cosineLr(this.step, this.plannedSteps, c.lr, c.warmup);
    const rowLoss = new Float32Array(b.B * b.T);
    const r = tidy(() => {
      this.model.params.zeroGrad();
      const mc = this.model.config;
      const drop =
        c.codeResidualDrop > 0
          ? residualDropFlags(b.ids, mc.textVocabSize, mc.imageCodebookSize, c.codeResidualDrop, c.seed, this.step)
          : null;
      const h = this.model.hidden(b.ids, b.pos2d, b.B, b.T, drop); // (B, T, C)
      const weights =
        c.editChangeWeight !== 1
          ? changedCodeWeights(b, mc.textVocabSize, codesPerImageOf(mc), c.editChangeWeight)
          : null;
      const { targets, keepable } = keepTargets(b, mc.textVocabSize, codesPerImageOf(mc), this.model.keepId);
      const loss = this.model.lossFrom(h, targets, weights, rowLoss, keepable);
      loss.backward();
      const gradNorm = clipGradNorm(this.model.params, c.clip);
      this.optimizer.update(lr);
      return { loss: loss.item(), gradNorm };
    });
    // Split losses for the curves, from the rows' own losses: text-side vs image-code targets, per task.
    const part = (w: (i: number) => number) => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < rowLoss.length; i++)
        if (b.targets[i] >= 0 && w(i) > 0) {
          num += rowLoss[i];
          den += 1;
        }
      return den > 0 ? num / den : null;
    };
    const taskLoss: Partial<Record<TaskKind, number>> = {};
    for (const task of new Set(b.tasks)) {
      if (task === null) continue;
      const v = part((i) => (b.tasks[Math.floor(i / b.T)] === task ? 1 : 0));
      if (v !== null) taskLoss[task] = v;
    }
    const split = { textLoss: part((i) => b.textRows[i]), imageLoss: part((i) => b.imageRows[i]), taskLoss };
    this.step++;
    const items = b.tasks.filter((t) => t !== null).length;
    return { step: this.step, lr, ...r, ...split, items };
  }
}

/**
 * KEEP's vector when a trained model gains it (train --init with keepCode), fitted before training on the
 * frozen network ("linear probe, then fine-tune"). At zero, KEEP's logit would be 0 beside trained code
 * logits far above it (measured on the shipped model: a first loss of 63 nats a token); set to the mean
 * hidden state scaled to the mean top code logit, the model kept too much (1200 steps later, trained-
 * combination edits succeeded 0.155 against 0.365 without KEEP). So: from 64 edit and chain items, the
 * hidden states h_i of the rows that draw an edited image (KEEP offered) and their code logits'
 * log-sum-exp L_i; w minimises the cross-entropy of [L_i, h_i . w] against "the target is KEEP", which
 * has the training loss's gradient in w (the two differ by a constant in w on rows whose target is a code):
 * convex in w, 300 AdamW steps on it, a few seconds.
 */
export function calibrateKeep(model: MultimodalModel, tok: Tokenizers, seed: number): MultimodalModel {
  const items = [
    ...makeWorldItems('edit', 'train', seed + 991, 48),
    ...makeWorldItems('chain', 'train', seed + 991, 16),
  ];
  const mc = model.config;
  const C = mc.nEmbd;
  const K = mc.imageCodebookSize;
  const hs: number[] = [];
  const lse: number[] = [];
  const isKeep: number[] = []; // 1 where the target is KEEP, 0 where it is a code
  for (let at = 0; at < items.length; at += 8) {
    const b = makeBatch(items.slice(at, at + 8), tok, mc.blockSize, 0, new Rng(seed));
    const { targets, keepable } = keepTargets(b, mc.textVocabSize, codesPerImageOf(mc), model.keepId);
    noGrad(() =>
      tidy(() => {
        const h = model.hidden(b.ids, b.pos2d, b.B, b.T);
        const logits = model.imageLogits(h).data; // (B, T, K + 1), KEEP last
        for (let i = 0; i < targets.length; i++) {
          if (!keepable![i]) continue;
          const row = logits.subarray(i * (K + 1), i * (K + 1) + K);
          let m = Number.NEGATIVE_INFINITY;
          for (let k = 0; k < K; k++) m = Math.max(m, row[k]);
          let z = 0;
          for (let k = 0; k < K; k++) z += Math.exp(row[k] - m);
          lse.push(m + Math.log(z));
          isKeep.push(targets[i] === model.keepId ? 1 : 0);
          for (let c = 0; c < C; c++) hs.push(h.data[i * C + c]);
        }
      }),
    );
  }
  const n = lse.length;
  if (n === 0) return model;
  const probe = new Params(new Rng(seed));
  const w = probe.add('w', [1, C], { kind: 'zeros' });
  const H = Tensor.from(hs, [n, C]);
  const L = Tensor.from(lse, [n, 1]);
  const y = Int32Array.from(isKeep);
  const opt = new AdamW(probe, { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  for (let step = 0; step < 300; step++)
    tidy(() => {
      probe.zeroGrad();
      crossEntropy(concat([L, linear(H, w, null)], -1), y).backward();
      opt.update();
    });
  model.params.get('img.keep').data.set(w.data);
  return model;
}
