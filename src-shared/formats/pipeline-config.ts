/**
 * `pipeline.config` for fine-tuning SSD MobileNet V2 FPNLite 320x320 with the TF2 Object Detection API.
 *
 * The model block follows the TF2 model zoo's `ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8.config`
 * unchanged, so the zoo's COCO checkpoint restores into it. The training block differs on purpose:
 *  - `total_steps` of the cosine schedule equals `num_steps`. The original notebook kept the zoo's 50,000-step
 *    schedule in a 5,000-step run, so training stopped at the top of the curve with the learning rate barely
 *    decayed; the schedule must end where training ends.
 *  - `fine_tune_checkpoint_type: "detection"`: we start from the zoo's COCO *detection* checkpoint (backbone,
 *    FPN and box predictor), not the ImageNet classification one the zoo config names.
 *  - no `random_horizontal_flip`: a mirrored frame turns a right-hand sign into a left-hand one, which in
 *    Korean Sign Language can be a different sign or no sign at all, so it would teach wrong labels.
 *  - single-GPU settings: no `sync_replicas`, `use_bfloat16: false` (bfloat16 is a TPU option).
 */
import { KslError } from '../result';
import { quoteTextFormatString } from './label-map';

export interface PipelineConfigOptions {
  /** Number of classes; label map ids run 1..numClasses. */
  numClasses: number;
  /** Training steps; also the cosine schedule's `total_steps`. */
  numSteps: number;
  batchSize: number;
  /** Linear warm-up steps; default min(1000, 10% of numSteps). Must be < numSteps. */
  warmupSteps?: number;
  /** Peak learning rate; default scales the zoo's 0.08 @ batch 128 linearly with batchSize (capped at 0.08). */
  learningRateBase?: number;
  /** Checkpoint prefix, e.g. `ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8/checkpoint/ckpt-0`. */
  fineTuneCheckpoint: string;
  labelMapPath: string;
  trainRecord: string;
  testRecord: string;
  /** The checkpoint was trained at 320x320; only that size restores cleanly. */
  imageSize?: 320;
}

/** Zoo values: lr 0.08 for batch 128 across 8 TPU cores, warm-up from a third of it. */
const ZOO_LEARNING_RATE = 0.08;
const ZOO_BATCH_SIZE = 128;
const ZOO_WARMUP_STEPS = 1000;
/** `num_steps` and `total_steps` are uint32/int32 in the protos; keep well inside int32. */
const MAX_STEPS = 2 ** 31 - 1;

function invalid(message: string): never {
  throw new KslError('INVALID', `pipeline.config: ${message}`);
}

function requireInt(name: string, value: number, min: number, max = MAX_STEPS): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(`${name} must be an integer from ${min} to ${max}, got ${value}.`);
  }
}

function requirePath(name: string, value: string): void {
  if (typeof value !== 'string' || value.trim().length === 0) invalid(`${name} must be a non-empty path.`);
}

/** A float literal text format accepts (always with a '.' or exponent so it reads as a float). */
function float(x: number): string {
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** The default warm-up: the zoo's 1000 steps, but never more than a tenth of a short run. */
export function defaultWarmupSteps(numSteps: number): number {
  return Math.min(ZOO_WARMUP_STEPS, Math.floor(numSteps / 10));
}

/** The default peak learning rate: the zoo's, scaled linearly to the batch size (linear scaling rule). */
export function defaultLearningRate(batchSize: number): number {
  return Math.min(ZOO_LEARNING_RATE, (ZOO_LEARNING_RATE * batchSize) / ZOO_BATCH_SIZE);
}

export function pipelineConfig(opts: PipelineConfigOptions): string {
  requireInt('numClasses', opts.numClasses, 1);
  requireInt('numSteps', opts.numSteps, 1);
  requireInt('batchSize', opts.batchSize, 1, 65536);
  const imageSize = opts.imageSize ?? 320;
  if (imageSize !== 320) invalid(`imageSize must be 320 for ssd_mobilenet_v2_fpnlite_320x320, got ${imageSize}.`);
  const warmupSteps = opts.warmupSteps ?? defaultWarmupSteps(opts.numSteps);
  requireInt('warmupSteps', warmupSteps, 0);
  if (warmupSteps >= opts.numSteps) {
    // cosine_decay_with_warmup raises "total_steps must be larger or equal to warmup_steps" at step 0;
    // and a run that is all warm-up never trains at the peak rate.
    invalid(`warmupSteps (${warmupSteps}) must be less than numSteps (${opts.numSteps}).`);
  }
  const learningRateBase = opts.learningRateBase ?? defaultLearningRate(opts.batchSize);
  if (!Number.isFinite(learningRateBase) || learningRateBase <= 0 || learningRateBase > 1) {
    invalid(`learningRateBase must be > 0 and ≤ 1, got ${learningRateBase}.`);
  }
  // Zoo ratio (0.026666 / 0.08): warm up from a third of the peak. Must not exceed the base rate.
  const warmupLearningRate = learningRateBase / 3;
  requirePath('fineTuneCheckpoint', opts.fineTuneCheckpoint);
  requirePath('labelMapPath', opts.labelMapPath);
  requirePath('trainRecord', opts.trainRecord);
  requirePath('testRecord', opts.testRecord);

  const q = (s: string) => quoteTextFormatString(s, '"');
  const hyperparams = (indent: string) =>
    [
      'conv_hyperparams {',
      '  activation: RELU_6',
      '  regularizer {',
      '    l2_regularizer {',
      '      weight: 0.00004',
      '    }',
      '  }',
      '  initializer {',
      '    random_normal_initializer {',
      '      mean: 0.0',
      '      stddev: 0.01',
      '    }',
      '  }',
      '  batch_norm {',
      '    scale: true',
      '    decay: 0.997',
      '    epsilon: 0.001',
      '  }',
      '}',
    ]
      .map((l) => indent + l)
      .join('\n');

  return `# SSD MobileNet V2 FPNLite ${imageSize}x${imageSize}, fine-tuned from the TF2 model zoo COCO checkpoint.
# Written by KSL Studio. The model block matches the zoo config so the checkpoint restores.
# total_steps of the learning-rate schedule equals num_steps, so the cosine decay ends when training ends.
# No random_horizontal_flip: mirroring swaps the signing hand, which changes (or breaks) the sign.

model {
  ssd {
    num_classes: ${opts.numClasses}
    image_resizer {
      fixed_shape_resizer {
        height: ${imageSize}
        width: ${imageSize}
      }
    }
    feature_extractor {
      type: "ssd_mobilenet_v2_fpn_keras"
      depth_multiplier: 1.0
      min_depth: 16
${hyperparams('      ')}
      use_depthwise: true
      override_base_feature_extractor_hyperparams: true
      fpn {
        min_level: 3
        max_level: 7
        additional_layer_depth: 128
      }
    }
    box_coder {
      faster_rcnn_box_coder {
        y_scale: 10.0
        x_scale: 10.0
        height_scale: 5.0
        width_scale: 5.0
      }
    }
    matcher {
      argmax_matcher {
        matched_threshold: 0.5
        unmatched_threshold: 0.5
        ignore_thresholds: false
        negatives_lower_than_unmatched: true
        force_match_for_each_row: true
        use_matmul_gather: true
      }
    }
    similarity_calculator {
      iou_similarity {
      }
    }
    anchor_generator {
      multiscale_anchor_generator {
        min_level: 3
        max_level: 7
        anchor_scale: 4.0
        aspect_ratios: 1.0
        aspect_ratios: 2.0
        aspect_ratios: 0.5
        scales_per_octave: 2
      }
    }
    box_predictor {
      weight_shared_convolutional_box_predictor {
${hyperparams('        ')}
        depth: 128
        num_layers_before_predictor: 4
        kernel_size: 3
        class_prediction_bias_init: -4.6
        share_prediction_tower: true
        use_depthwise: true
      }
    }
    post_processing {
      batch_non_max_suppression {
        score_threshold: 1e-8
        iou_threshold: 0.6
        max_detections_per_class: 100
        max_total_detections: 100
      }
      score_converter: SIGMOID
    }
    normalize_loss_by_num_matches: true
    loss {
      localization_loss {
        weighted_smooth_l1 {
        }
      }
      classification_loss {
        weighted_sigmoid_focal {
          alpha: 0.25
          gamma: 2.0
        }
      }
      classification_weight: 1.0
      localization_weight: 1.0
    }
    encode_background_as_zeros: true
    normalize_loc_loss_by_codesize: true
    inplace_batchnorm_update: true
    freeze_batchnorm: false
  }
}

train_config {
  batch_size: ${opts.batchSize}
  # Augmentation: random crop only. random_horizontal_flip is deliberately absent (mirroring swaps the signing hand).
  data_augmentation_options {
    random_crop_image {
      min_object_covered: 0.0
      min_aspect_ratio: 0.75
      max_aspect_ratio: 3.0
      min_area: 0.75
      max_area: 1.0
      overlap_thresh: 0.0
    }
  }
  optimizer {
    momentum_optimizer {
      learning_rate {
        cosine_decay_learning_rate {
          learning_rate_base: ${float(learningRateBase)}
          # Equal to num_steps below, on purpose.
          total_steps: ${opts.numSteps}
          warmup_learning_rate: ${float(warmupLearningRate)}
          warmup_steps: ${warmupSteps}
        }
      }
      momentum_optimizer_value: 0.9
    }
    use_moving_average: false
  }
  fine_tune_checkpoint: ${q(opts.fineTuneCheckpoint)}
  fine_tune_checkpoint_type: "detection"
  fine_tune_checkpoint_version: V2
  num_steps: ${opts.numSteps}
  max_number_of_boxes: 100
  unpad_groundtruth_tensors: false
  use_bfloat16: false
}

train_input_reader {
  label_map_path: ${q(opts.labelMapPath)}
  tf_record_input_reader {
    input_path: ${q(opts.trainRecord)}
  }
}

eval_config {
  metrics_set: "coco_detection_metrics"
  use_moving_averages: false
}

eval_input_reader {
  label_map_path: ${q(opts.labelMapPath)}
  shuffle: false
  num_epochs: 1
  tf_record_input_reader {
    input_path: ${q(opts.testRecord)}
  }
}
`;
}
