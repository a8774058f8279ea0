/**
 * A TF Object Detection API model converted with tf2onnx plugs into the same service: a tiny graph with
 * that signature (uint8 `input_tensor` [1,H,W,3] with dynamic H/W; `detection_boxes`, `detection_scores`,
 * `detection_classes` as label-map ids, `num_detections`) is written here with our ONNX encoder. One score
 * is computed from the frame (its mean pixel / 255), so the test can tell that the frame really went
 * through the graph; the rest are constants that exercise num_detections, NMS on top, and the label map.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceService } from '../../../src-main/services/inference/inference-service';
import { detectLayout } from '../../../src-main/services/inference/model-layout';
import { initProject } from '../../../src-main/services/catalog/project';
import { memoryApi } from '../../helpers/memory-transport';
import { BOX_A, BOX_B, tinyTf2OnnxModel } from './tiny-models';

const LABEL_MAP = `item {\n  id: 1\n  name: 'hello'\n  display_name: '안녕하세요'\n}\nitem {\n  id: 2\n  name: '119'\n}\n`;

const frame = (w: number, h: number, v: number) => new Uint8Array(w * h * 3).fill(v);

describe('a tf2onnx (TF OD API) model in the inference service', () => {
  let dir: string;
  let model: string;
  const service = new InferenceService();
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ksl-tf2onnx-'));
    mkdirSync(path.join(dir, 'models', 'gpu-cluster'), { recursive: true });
    model = path.join(dir, 'models', 'gpu-cluster', 'ssd.onnx');
    writeFileSync(model, tinyTf2OnnxModel());
    writeFileSync(path.join(dir, 'models', 'gpu-cluster', 'label_map.pbtxt'), LABEL_MAP);
  });
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is recognised from its signature, with a dynamic uint8 input and the label map beside it', async () => {
    const info = await service.load('tf', model);
    expect(info.format).toBe('tf2onnx');
    expect(info.input).toMatchObject({ name: 'input_tensor', dtype: 'uint8', dynamic: true, layout: 'NHWC' });
    expect(info.classes).toEqual([
      { id: 1, name: '안녕하세요' },
      { id: 2, name: '119' },
    ]);
  });

  it('applies num_detections, the threshold, class-wise NMS and the max on top of the graph', async () => {
    // Bright frame: row 0 scores 230/255 = 0.902 (class 2); row 1 0.9 (class 1); row 2 suppressed; row 3 padding.
    const bright = await service.detect('tf', frame(64, 48, 230), 64, 48);
    expect(bright.detections.map((d) => [d.classId, d.label])).toEqual([
      [2, '119'],
      [1, '안녕하세요'],
    ]);
    expect(bright.detections[0]!.score).toBeCloseTo(230 / 255, 5);
    expect(bright.detections[0]!.box).toEqual(BOX_A.map((v) => Math.fround(v)));
    expect(bright.detections[1]!.box).toEqual(BOX_B.map((v) => Math.fround(v)));
    // Dark frame: the frame-dependent row falls under 0.6.
    const dark = await service.detect('tf', frame(33, 20, 50), 33, 20);
    expect(dark.detections.map((d) => d.classId)).toEqual([1]);
    // A looser IoU keeps the near-duplicate; max 1 keeps only the best; a 0.95 threshold leaves nothing
    // (the 0.95 row lies past num_detections).
    const loose = await service.detect('tf', frame(64, 48, 230), 64, 48, { iou: 0.99 });
    expect(loose.detections.map((d) => d.score.toFixed(2))).toEqual(['0.90', '0.90', '0.80']);
    expect((await service.detect('tf', frame(64, 48, 230), 64, 48, { maxDetections: 1 })).detections).toHaveLength(1);
    expect((await service.detect('tf', frame(64, 48, 230), 64, 48, { threshold: 0.95 })).detections).toEqual([]);
  });

  it('reloads its models in a fresh worker after the worker died', async () => {
    const worker = (service as unknown as { worker: import('node:worker_threads').Worker }).worker;
    await worker.terminate();
    await new Promise((r) => setTimeout(r, 20));
    const r = await service.detect('tf', frame(64, 48, 230), 64, 48);
    expect(r.detections.map((d) => d.classId)).toEqual([2, 1]);
    expect((service as unknown as { worker: unknown }).worker).not.toBe(worker);
  });

  it('is offered by live.models from the project models/ folder and loads through the contract', async () => {
    const projectDir = path.join(dir, 'project');
    initProject(projectDir).close();
    mkdirSync(path.join(projectDir, 'models', 'gpu-cluster'), { recursive: true });
    writeFileSync(path.join(projectDir, 'models', 'gpu-cluster', 'ssd.onnx'), tinyTf2OnnxModel());
    writeFileSync(path.join(projectDir, 'models', 'gpu-cluster', 'label_map.pbtxt'), LABEL_MAP);
    // Without a label map a file is not offered, and loading it says what is missing.
    writeFileSync(path.join(projectDir, 'models', 'lonely.onnx'), tinyTf2OnnxModel());
    const { api, services } = memoryApi({ door: 'web', servedDir: projectDir });
    services.open(projectDir);
    try {
      const models = await api.invoke('live.models', {});
      expect(models).toMatchObject({ ok: true, value: [{ id: 'file:models/gpu-cluster/ssd.onnx', source: 'file', ready: true }] });
      const lonely = await api.invoke('live.load', { modelId: 'file:models/lonely.onnx' });
      expect(lonely).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      if (!lonely.ok) expect(lonely.error.message).toMatch(/label_map\.pbtxt beside it/);
      const info = await api.invoke('live.load', { modelId: 'file:models/gpu-cluster/ssd.onnx' });
      expect(info).toMatchObject({ ok: true, value: { format: 'tf2onnx', input: { dtype: 'uint8' } } });
      const rgb = Buffer.from(frame(40, 30, 230)).toString('base64');
      const r = await api.invoke('live.detect', { modelId: 'file:models/gpu-cluster/ssd.onnx', width: 40, height: 30, rgb });
      expect(r.ok && r.value.detections.map((d) => d.label)).toEqual(['119', '안녕하세요']);
    } finally {
      await services.close();
    }
  });
});

describe('detectLayout', () => {
  it('tells the two layouts apart by their names (TF1 ":0" suffixes too) and explains a stranger', () => {
    expect(detectLayout([{ name: 'image', type: 'float32', shape: [1, 320, 320, 3] }], [{ name: 'scores' }, { name: 'boxes' }], 'm.onnx')).toMatchObject({
      format: 'ksl',
      input: { width: 320, height: 320, dtype: 'float32' },
    });
    const tf1 = detectLayout(
      [{ name: 'image_tensor:0', type: 'uint8', shape: [1, -1, -1, 3] }],
      ['detection_boxes:0', 'detection_scores:0', 'detection_classes:0', 'num_detections:0'].map((name) => ({ name })),
      'frozen.onnx',
    );
    expect(tf1).toMatchObject({ format: 'tf2onnx', input: { name: 'image_tensor:0', width: null, dtype: 'uint8' }, outputs: { count: 'num_detections:0' } });
    expect(() => detectLayout([{ name: 'x' }], [{ name: 'logits', type: 'float32', shape: [1, 1000] }], 'resnet.onnx')).toThrow(
      /resnet\.onnx: not a detector.*logits float32 \[1,1000\].*detection_boxes/,
    );
    expect(() => detectLayout([{ name: 'image', type: 'float32', shape: [1, 3, 320, 320] }], [{ name: 'scores' }, { name: 'boxes' }], 'nchw.onnx')).toThrow(/NHWC/);
  });
});
