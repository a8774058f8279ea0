import { describe, it, expect } from 'vitest';
import {
  defaultLearningRate,
  defaultWarmupSteps,
  pipelineConfig,
  type PipelineConfigOptions,
} from '../../../src-shared/formats/pipeline-config';

const base: PipelineConfigOptions = {
  numClasses: 12,
  numSteps: 5000,
  batchSize: 16,
  fineTuneCheckpoint: 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8/checkpoint/ckpt-0',
  labelMapPath: 'label_map.pbtxt',
  trainRecord: 'train.record',
  testRecord: 'test.record',
};

/** Drop `#` comments (no test path contains '#'), leaving only what the protobuf parser reads. */
function stripComments(config: string): string {
  return config
    .split('\n')
    .map((l) => l.replace(/#.*$/, ''))
    .join('\n');
}

/** All values of a scalar field, e.g. `total_steps: 5000` → ['5000']. */
function values(config: string, field: string): string[] {
  const re = new RegExp(`^\\s*${field}\\s*:\\s*(.+?)\\s*$`, 'gm');
  return [...stripComments(config).matchAll(re)].map((m) => m[1]);
}

function one(config: string, field: string): string {
  const v = values(config, field);
  expect(v, field).toHaveLength(1);
  return v[0];
}

describe('pipelineConfig', () => {
  const config = pipelineConfig(base);
  const body = stripComments(config);

  it('sets num_classes and the SSD MobileNet V2 FPNLite 320 model', () => {
    expect(one(config, 'num_classes')).toBe('12');
    expect(one(config, 'type')).toBe('"ssd_mobilenet_v2_fpn_keras"');
    expect(values(config, 'height')).toEqual(['320']);
    expect(values(config, 'width')).toEqual(['320']);
    expect(body).toMatch(/fixed_shape_resizer\s*\{\s*height: 320\s*width: 320\s*\}/);
    expect(body).toMatch(/fpn\s*\{\s*min_level: 3\s*max_level: 7/);
    expect(body).toMatch(/faster_rcnn_box_coder\s*\{\s*y_scale: 10\.0\s*x_scale: 10\.0\s*height_scale: 5\.0\s*width_scale: 5\.0\s*\}/);
    expect(body).toMatch(/argmax_matcher\s*\{\s*matched_threshold: 0\.5\s*unmatched_threshold: 0\.5/);
    expect(body).toMatch(/iou_similarity\s*\{\s*\}/);
    expect(body).toMatch(/multiscale_anchor_generator\s*\{\s*min_level: 3\s*max_level: 7/);
    expect(body).toContain('weight_shared_convolutional_box_predictor {');
    expect(body).toMatch(/weighted_sigmoid_focal\s*\{\s*alpha: 0\.25\s*gamma: 2\.0\s*\}/);
    expect(body).toMatch(/weighted_smooth_l1\s*\{\s*\}/);
    expect(body).toMatch(/batch_non_max_suppression\s*\{[^}]*max_total_detections: 100/);
    expect(one(config, 'score_converter')).toBe('SIGMOID');
  });

  it('makes the cosine schedule end where training ends', () => {
    const total = Number(one(config, 'total_steps'));
    const steps = Number(one(config, 'num_steps'));
    const warmup = Number(one(config, 'warmup_steps'));
    expect(steps).toBe(5000);
    expect(total).toBe(steps);
    expect(warmup).toBeLessThan(total);
    expect(warmup).toBe(500);
    expect(body).toMatch(/momentum_optimizer\s*\{\s*learning_rate\s*\{\s*cosine_decay_learning_rate\s*\{/);
    const lr = Number(one(config, 'learning_rate_base'));
    const warmupLr = Number(one(config, 'warmup_learning_rate'));
    expect(lr).toBeCloseTo(0.01, 10); // 0.08 at batch 128, scaled to batch 16
    expect(warmupLr).toBeLessThan(lr);
    expect(one(config, 'batch_size')).toBe('16');
  });

  it('fine-tunes from a detection checkpoint without bfloat16', () => {
    expect(one(config, 'fine_tune_checkpoint_type')).toBe('"detection"');
    expect(one(config, 'fine_tune_checkpoint')).toBe('"ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8/checkpoint/ckpt-0"');
    expect(one(config, 'use_bfloat16')).toBe('false');
    expect(one(config, 'fine_tune_checkpoint_version')).toBe('V2');
  });

  it('has no horizontal flip, and says why in a comment', () => {
    expect(body).not.toContain('random_horizontal_flip');
    expect(body).not.toMatch(/flip/i);
    const comments = config.split('\n').filter((l) => l.trim().startsWith('#'));
    expect(comments.some((l) => /random_horizontal_flip/.test(l) && /hand/.test(l))).toBe(true);
    expect(body).toContain('data_augmentation_options {');
  });

  it('wires the label map, records and COCO metrics', () => {
    expect(values(config, 'label_map_path')).toEqual(['"label_map.pbtxt"', '"label_map.pbtxt"']);
    expect(values(config, 'input_path')).toEqual(['"train.record"', '"test.record"']);
    expect(one(config, 'metrics_set')).toBe('"coco_detection_metrics"');
    expect(body).toMatch(/eval_input_reader\s*\{[^]*shuffle: false[^]*num_epochs: 1/);
    expect(body).toMatch(/train_input_reader\s*\{\s*label_map_path: "label_map.pbtxt"\s*tf_record_input_reader\s*\{\s*input_path: "train.record"/);
  });

  it('is structurally balanced text format', () => {
    expect((body.match(/\{/g) ?? []).length).toBe((body.match(/\}/g) ?? []).length);
    let depth = 0;
    for (const ch of body) {
      if (ch === '{') depth++;
      if (ch === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    // Every non-blank line is a field, an opening or a closing brace.
    for (const line of body.split('\n').filter((l) => l.trim())) {
      expect(line, line).toMatch(/^\s*([a-z_0-9]+\s*(:\s*\S.*|\{)|\})$/);
    }
    const top = [...body.matchAll(/^([a-z_]+) \{$/gm)].map((m) => m[1]);
    expect(top).toEqual(['model', 'train_config', 'train_input_reader', 'eval_config', 'eval_input_reader']);
  });

  it('escapes paths as text-format strings', () => {
    const c = pipelineConfig({ ...base, labelMapPath: 'C:\\exports\\라벨 "map".pbtxt', trainRecord: 'D:\\a\\train.record' });
    expect(values(c, 'label_map_path')[0]).toBe('"C:\\\\exports\\\\라벨 \\"map\\".pbtxt"');
    expect(values(c, 'input_path')[0]).toBe('"D:\\\\a\\\\train.record"');
  });

  it('uses explicit warm-up and learning rate', () => {
    const c = pipelineConfig({ ...base, numSteps: 200, warmupSteps: 199, learningRateBase: 0.04 });
    expect(one(c, 'total_steps')).toBe('200');
    expect(one(c, 'num_steps')).toBe('200');
    expect(one(c, 'warmup_steps')).toBe('199');
    expect(Number(one(c, 'learning_rate_base'))).toBe(0.04);
    expect(Number(one(c, 'warmup_learning_rate'))).toBeCloseTo(0.04 / 3, 12);
    // Short runs get a proportional warm-up; long runs keep the zoo's 1000.
    expect(defaultWarmupSteps(1)).toBe(0);
    expect(defaultWarmupSteps(5000)).toBe(500);
    expect(defaultWarmupSteps(50000)).toBe(1000);
    expect(defaultLearningRate(128)).toBe(0.08);
    expect(defaultLearningRate(512)).toBe(0.08);
    expect(one(pipelineConfig({ ...base, numSteps: 1 }), 'warmup_steps')).toBe('0');
    // Float fields always read as floats.
    expect(one(pipelineConfig({ ...base, learningRateBase: 1 }), 'learning_rate_base')).toBe('1.0');
  });

  it('rejects invalid inputs with clear errors', () => {
    expect(() => pipelineConfig({ ...base, numClasses: 0 })).toThrow(/numClasses must be an integer from 1/);
    expect(() => pipelineConfig({ ...base, numClasses: 2.5 })).toThrow(/numClasses/);
    expect(() => pipelineConfig({ ...base, numSteps: 0 })).toThrow(/numSteps must be an integer from 1/);
    expect(() => pipelineConfig({ ...base, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => pipelineConfig({ ...base, numSteps: 1000, warmupSteps: 1000 })).toThrow(
      /warmupSteps \(1000\) must be less than numSteps \(1000\)/,
    );
    expect(() => pipelineConfig({ ...base, warmupSteps: -1 })).toThrow(/warmupSteps/);
    expect(() => pipelineConfig({ ...base, learningRateBase: 0 })).toThrow(/learningRateBase/);
    expect(() => pipelineConfig({ ...base, learningRateBase: Number.NaN })).toThrow(/learningRateBase/);
    expect(() => pipelineConfig({ ...base, fineTuneCheckpoint: ' ' })).toThrow(/fineTuneCheckpoint/);
    expect(() => pipelineConfig({ ...base, testRecord: '' })).toThrow(/testRecord/);
    expect(() => pipelineConfig({ ...base, imageSize: 640 as 320 })).toThrow(/imageSize must be 320/);
  });
});
