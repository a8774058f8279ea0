/**
 * One optimiser step of the SSD head, and prediction with decoded boxes.
 *
 * Every tensor a step creates is released before it returns (tf.tidy around tf.variableGrads and
 * applyGradients; the loss parts are kept out of the inner scope with tf.keep and disposed after they are
 * read), so tf.memory().numTensors stays flat over thousands of steps. The only tensors that live on are
 * the head's variables and the optimiser's slots (Adam's moments, created on the first step).
 *
 * The learning rate follows lr-schedule.ts and is set before each step. Weight decay, when given, is
 * decoupled (AdamW-style): after the gradient step every kernel is multiplied by (1 − lr·weightDecay).
 * With Adam that is the form that actually regularises (an L2 term in the loss would be rescaled away by
 * Adam's per-weight normalisation); with momentum it is the usual L2 decay. Biases are not decayed.
 */

import * as tf from '@tensorflow/tfjs';
import { decodeBoxes } from '../../../../src-shared/detector/box-coder';
import { lrAt, resolveLrSchedule, type LrSchedule, type LrScheduleOptions } from '../../../../src-shared/detector/lr-schedule';
import { detectionLoss, type LossOptions } from './losses';
import { HEAD_WEIGHT_NAMES, type NamedWeight, type SsdHead } from './ssd-head';
import type { DetectionTargets } from './targets';

export interface TrainerOptions {
  /** 'adam' (default) or 'momentum' (SGD with momentum 0.9, as the OD API configs). */
  optimizer?: 'adam' | 'momentum';
  schedule: LrScheduleOptions;
  /** Decoupled weight decay on kernels (e.g. 1e-4); default 0. */
  weightDecay?: number;
  /** Momentum for the 'momentum' optimiser (default 0.9). */
  momentum?: number;
  loss?: Partial<LossOptions>;
  /** Anchors (generateAnchors), needed by predict() to decode boxes. */
  anchors?: Float32Array;
  /**
   * Index of the first step (default 0): when resuming from a checkpoint saved at step s, pass s so the
   * learning-rate schedule carries on where it stopped. The optimiser's moments are not part of a
   * checkpoint and start from zero again.
   */
  startStep?: number;
}

export interface StepResult {
  /** The step index this result belongs to (0-based). */
  step: number;
  loss: number;
  cls: number;
  box: number;
  /** Learning rate used for this step. */
  lr: number;
}

export interface Prediction {
  /** N×4 decoded [ymin, xmin, ymax, xmax], normalised to the input (N = number of anchors). */
  boxes: Float32Array;
  /** N×C per-class probabilities (sigmoid of the logits). */
  scores: Float32Array;
}

/**
 * The loss gradients of one part of a batch, divided by the WHOLE batch's matched anchors, so that the
 * parts' gradients (and losses) add up to the batch's: a step can be split over threads (grad-worker.ts).
 */
export interface PartialGradients {
  /** One per head variable, in head.variables order. */
  grads: Float32Array[];
  loss: number;
  cls: number;
  box: number;
}

/** PartialGradients of `features`/`targets` (a part of a batch with `matchedTotal` matches in all). */
export function partialGradients(head: SsdHead, features: tf.Tensor3D, targets: DetectionTargets, matchedTotal: number, loss: Partial<LossOptions> = {}): PartialGradients {
  const vars = head.variables as tf.Variable[];
  let parts: tf.Scalar[] = [];
  const grads = tf.tidy(() => {
    const { grads: g } = tf.variableGrads(() => {
      const l = detectionLoss(head.apply(features), targets, loss, matchedTotal);
      parts = [tf.keep(l.total), tf.keep(l.cls), tf.keep(l.box)];
      return l.total;
    }, vars);
    return vars.map((v) => tf.keep(g[v.name]!));
  });
  const out = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose(grads);
  const [total, cls, box] = parts.map((t) => (t.dataSync() as Float32Array)[0]!);
  tf.dispose(parts);
  return { grads: out, loss: total!, cls: cls!, box: box! };
}

export interface Trainer {
  readonly schedule: LrSchedule;
  /** The next step's index: startStep + steps taken so far. */
  readonly stepCount: number;
  /** One optimiser step on a batch; `targets` is batchTargets() of the batch's samples. */
  step(features: tf.Tensor3D, targets: DetectionTargets): StepResult;
  /**
   * One optimiser step on a batch split in parts: this thread computes the gradients of `features` /
   * `targets` while `others` (already running elsewhere, e.g. in a grad-worker) compute the rest, all
   * divided by `matchedTotal`, the whole batch's matches. Same update as step() on the whole batch.
   */
  stepSplit(features: tf.Tensor3D, targets: DetectionTargets, matchedTotal: number, others: Promise<PartialGradients>[]): Promise<StepResult>;
  /** Loss on a batch without updating anything (validation). */
  evaluate(features: tf.Tensor3D, targets: DetectionTargets): Omit<StepResult, 'lr'>;
  /** Decoded boxes and class probabilities, one Prediction per sample of the batch. */
  predict(features: tf.Tensor3D): Prediction[];
  /**
   * The optimiser's state to save beside a checkpoint: Adam's step count (`iter`) and its first and second
   * moments (`m/<variable>`, `v/<variable>`), so that a resumed run takes the same steps as one never
   * stopped. Empty before the first step, and for momentum (whose state is not kept).
   */
  optimizerState(): Promise<NamedWeight[]>;
  /** Puts back optimizerState() taken at this trainer's startStep (before any step of this trainer). */
  restoreOptimizer(state: readonly NamedWeight[]): Promise<void>;
  /** Releases the optimiser's state (not the head, which the caller owns). */
  dispose(): void;
}

/**
 * tf.train.adam with a settable learning rate. AdamOptimizer reads its (protected) `learningRate` field on
 * every applyGradients, so updating it between steps is all a schedule needs; momentum/SGD already have
 * setLearningRate(). Betas and epsilon are tf.train.adam's defaults.
 */
class ScheduledAdam extends tf.AdamOptimizer {
  constructor(learningRate: number) {
    super(learningRate, 0.9, 0.999);
  }
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

/** tf.train.momentum, whose dispose() forgets the learning-rate scalar it inherits from SGD (tfjs 4.22). */
class DisposableMomentum extends tf.MomentumOptimizer {
  override dispose(): void {
    super.dispose();
    this.c.dispose();
  }
}

export function createTrainer(head: SsdHead, options: TrainerOptions): Trainer {
  const schedule = resolveLrSchedule(options.schedule);
  const weightDecay = options.weightDecay ?? 0;
  if (!(weightDecay >= 0)) throw new Error(`trainer: weightDecay must be ≥ 0 (got ${weightDecay})`);
  const kind = options.optimizer ?? 'adam';
  const startStep = options.startStep ?? 0;
  if (!Number.isInteger(startStep) || startStep < 0) throw new Error(`trainer: startStep must be a non-negative integer (got ${startStep})`);
  const firstLr = lrAt(startStep, schedule);
  const optimizer: ScheduledAdam | DisposableMomentum =
    kind === 'adam' ? new ScheduledAdam(firstLr) : new DisposableMomentum(firstLr, options.momentum ?? 0.9);
  const lossOptions = options.loss ?? {};
  const vars = head.variables as tf.Variable[];
  let stepCount = startStep;
  let disposed = false;

  const check = (features: tf.Tensor3D) => {
    if (disposed) throw new Error('trainer: used after dispose()');
    if (features.rank !== 3) throw new Error(`trainer: features must be [B, P, K], got [${features.shape}]`);
  };

  const readParts = (parts: tf.Scalar[]) => {
    const values = parts.map((t) => (t.dataSync() as Float32Array)[0]);
    for (const t of parts) t.dispose();
    return values;
  };

  return {
    schedule,
    get stepCount() {
      return stepCount;
    },
    step(features, targets) {
      check(features);
      const index = stepCount;
      const lr = lrAt(index, schedule);
      optimizer.setLearningRate(lr);
      const parts = tf.tidy(() => {
        let cls: tf.Scalar | undefined;
        let box: tf.Scalar | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const l = detectionLoss(head.apply(features), targets, lossOptions);
          // variableGrads disposes everything f created except its result: keep the parts for reporting.
          cls = tf.keep(l.cls);
          box = tf.keep(l.box);
          return l.total;
        }, vars);
        // A non-finite loss means non-finite gradients: stop before they overwrite the weights, so the
        // caller still has the last good head (to checkpoint, or to retry with a lower learning rate).
        const lossValue = (value.dataSync() as Float32Array)[0];
        if (!Number.isFinite(lossValue)) {
          tf.dispose([cls!, box!]);
          throw new Error(`trainer: loss became ${lossValue} at step ${index} (lr ${lr}); weights left unchanged`);
        }
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        if (weightDecay > 0 && lr > 0) {
          const factor = 1 - lr * weightDecay;
          for (const k of head.kernels) k.assign(tf.mul(k, factor));
        }
        return [value, cls!, box!];
      });
      const [loss, cls, box] = readParts(parts);
      stepCount++;
      return { step: index, loss, cls, box, lr };
    },
    async stepSplit(features, targets, matchedTotal, others) {
      check(features);
      const index = stepCount;
      const lr = lrAt(index, schedule);
      const mine = partialGradients(head, features, targets, matchedTotal, lossOptions);
      const all = [mine, ...(await Promise.all(others))];
      const total = { loss: 0, cls: 0, box: 0 };
      for (const p of all) {
        total.loss += p.loss;
        total.cls += p.cls;
        total.box += p.box;
      }
      if (!Number.isFinite(total.loss)) throw new Error(`trainer: loss became ${total.loss} at step ${index} (lr ${lr}); weights left unchanged`);
      const sums = mine.grads.map((g, i) => {
        const acc = Float32Array.from(g);
        for (const p of all.slice(1)) {
          const o = p.grads[i]!;
          if (o.length !== acc.length) throw new Error(`trainer: a part's gradient ${i} has ${o.length} values, expected ${acc.length}`);
          for (let j = 0; j < acc.length; j++) acc[j]! += o[j]!;
        }
        return acc;
      });
      if (disposed) throw new Error('trainer: used after dispose()');
      optimizer.setLearningRate(lr);
      tf.tidy(() => {
        optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(sums[i]!, v.shape, 'float32') })));
        if (weightDecay > 0 && lr > 0) {
          const factor = 1 - lr * weightDecay;
          for (const k of head.kernels) k.assign(tf.mul(k, factor));
        }
      });
      stepCount++;
      return { step: index, ...total, lr };
    },
    evaluate(features, targets) {
      check(features);
      const parts = tf.tidy(() => {
        const l = detectionLoss(head.apply(features), targets, lossOptions);
        return [l.total, l.cls, l.box];
      });
      const [loss, cls, box] = readParts(parts);
      return { step: stepCount, loss, cls, box };
    },
    predict(features) {
      check(features);
      const anchors = options.anchors;
      if (!anchors) throw new Error('trainer: predict() needs options.anchors');
      const [b] = features.shape;
      const [rel, probs] = tf.tidy(() => {
        const out = head.apply(features);
        return [out.boxes, tf.sigmoid(out.logits)];
      });
      const m = rel.shape[1];
      if (m * 4 !== anchors.length) {
        tf.dispose([rel, probs]);
        throw new Error(`trainer: head gives ${m} anchors, options.anchors has ${anchors.length / 4}`);
      }
      const relData = rel.dataSync() as Float32Array;
      const probData = probs.dataSync() as Float32Array;
      const c = probs.shape[2];
      tf.dispose([rel, probs]);
      const result: Prediction[] = [];
      for (let i = 0; i < b; i++) {
        result.push({
          boxes: decodeBoxes(relData.subarray(i * m * 4, (i + 1) * m * 4), anchors),
          // slice() copies: the per-sample arrays must not keep the whole batch's buffer alive.
          scores: probData.slice(i * m * c, (i + 1) * m * c),
        });
      }
      return result;
    },
    async optimizerState() {
      if (!(optimizer instanceof ScheduledAdam)) return [];
      // [iter, first moments…, second moments…], the moments in the order of the variables they follow
      const named = await optimizer.getWeights();
      // getWeights makes a new scalar for the step count each time; the moments are the optimiser's own
      const iter = named[0]!.tensor;
      try {
        if (named.length <= 1) return [];
        const n = (named.length - 1) / 2;
        if (n !== vars.length) throw new Error(`trainer: Adam keeps ${n} moments for ${vars.length} variables`);
        // named by the head's weight names (tfjs names variables by a counter that differs from run to run)
        return await Promise.all(
          named.map(async (w, i) => ({
            name: i === 0 ? 'iter' : `${i <= n ? 'm' : 'v'}/${HEAD_WEIGHT_NAMES[(i - 1) % n]}`,
            shape: [...w.tensor.shape],
            data: Float32Array.from((await w.tensor.data()) as ArrayLike<number>),
          })),
        );
      } finally {
        iter.dispose();
      }
    },
    async restoreOptimizer(state) {
      if (disposed) throw new Error('trainer: used after dispose()');
      if (stepCount !== startStep) throw new Error('trainer: restoreOptimizer() must come before the first step');
      if (!(optimizer instanceof ScheduledAdam)) throw new Error('trainer: only Adam’s state can be restored');
      const byName = new Map(state.map((w) => [w.name, w]));
      const iter = byName.get('iter');
      if (!iter || iter.data.length !== 1) throw new Error('trainer: the optimiser state has no step count (iter)');
      const moment = (kind: 'm' | 'v', v: tf.Variable, i: number) => {
        const name = `${kind}/${HEAD_WEIGHT_NAMES[i]}`;
        const w = byName.get(name);
        if (!w || w.data.length !== v.size) throw new Error(`trainer: the optimiser state has no ${name} of ${v.size} values`);
        return { name: v.name, tensor: tf.tensor(w.data, v.shape, 'float32') };
      };
      const values: { name: string; tensor: tf.Tensor }[] = [];
      try {
        values.push({ name: 'iter', tensor: tf.scalar(iter.data[0]!, 'int32') });
        for (const kind of ['m', 'v'] as const) vars.forEach((v, i) => values.push(moment(kind, v, i)));
        await optimizer.setWeights(values);
      } finally {
        // the optimiser's variables hold their own reference to the data
        tf.dispose(values.map((x) => x.tensor));
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      optimizer.dispose();
    },
  };
}
