/**
 * README.md written into a TF Object Detection API export: the steps a researcher follows on a GPU machine
 * to train on the export and bring the model back into KSL Studio. KSL Studio itself never runs Python; the
 * README is the hand-off, so it spells out every command with the export's own file names.
 */
import { KslError } from '../../../src-shared/result';

export interface OdApiReadmeFiles {
  labelMap: string;
  pipelineConfig: string;
  trainRecord: string;
  testRecord: string;
}

export interface OdApiReadmeOptions {
  /** The curriculum level exported, or null for all levels. */
  level: string | number | null;
  numClasses: number;
  trainCount: number;
  testCount: number;
  numSteps: number;
  /** File names inside the export folder; defaults match what the exporter writes. */
  files?: Partial<OdApiReadmeFiles>;
}

export const DEFAULT_OD_API_FILES: OdApiReadmeFiles = {
  labelMap: 'label_map.pbtxt',
  pipelineConfig: 'pipeline.config',
  trainRecord: 'train.record',
  testRecord: 'test.record',
};

/** The zoo checkpoint the pipeline.config is built for. */
export const OD_API_CHECKPOINT = 'ssd_mobilenet_v2_fpnlite_320x320_coco17_tpu-8';
export const OD_API_CHECKPOINT_URL = `http://download.tensorflow.org/models/object_detection/tf2/20200711/${OD_API_CHECKPOINT}.tar.gz`;

function count(name: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new KslError('INVALID', `README: ${name} must be an integer ≥ ${min}, got ${n}.`);
}

export function odApiReadme(opts: OdApiReadmeOptions): string {
  count('numClasses', opts.numClasses, 1);
  count('trainCount', opts.trainCount, 0);
  count('testCount', opts.testCount, 0);
  count('numSteps', opts.numSteps, 1);
  const f = { ...DEFAULT_OD_API_FILES, ...opts.files };
  // Backticks would end the inline code span the level is shown in.
  const level = opts.level === null || opts.level === '' ? 'all levels' : `level \`${String(opts.level).replace(/`/g, "'")}\``;
  const ckpt = OD_API_CHECKPOINT;

  return `# KSL Studio export for the TensorFlow Object Detection API

This folder trains **SSD MobileNet V2 FPNLite 320x320** on KSL Studio's word boxes (${level}).

| | |
|---|---|
| Classes | ${opts.numClasses} |
| Training images | ${opts.trainCount} (\`${f.trainRecord}\`) |
| Test images | ${opts.testCount} (\`${f.testRecord}\`) |
| Training steps | ${opts.numSteps} |

Files:

- \`${f.labelMap}\`: class ids and names (UTF-8; Korean is written as is). Ids start at 1.
- \`${f.pipelineConfig}\`: the model and training settings.
- \`${f.trainRecord}\`, \`${f.testRecord}\`: TFRecord files of \`tf.train.Example\`s, the train/test split made in
  KSL Studio.

The config differs from the model zoo's on purpose: the cosine learning-rate schedule's \`total_steps\` equals
\`num_steps\` (${opts.numSteps}); training starts from the COCO detection checkpoint
(\`fine_tune_checkpoint_type: "detection"\`); and there is **no \`random_horizontal_flip\`**, because mirroring a
frame swaps the signing hand. If you change \`num_steps\`, change \`total_steps\` to the same value.

## 1. Set up a GPU machine

Use Linux with an NVIDIA GPU, a Python that your TensorFlow 2 release supports, and the TensorFlow Object
Detection API:

\`\`\`sh
python -m venv odapi && . odapi/bin/activate
pip install tensorflow
git clone --depth 1 https://github.com/tensorflow/models.git
cd models/research
protoc object_detection/protos/*.proto --python_out=.
cp object_detection/packages/tf2/setup.py . && python -m pip install .
python object_detection/builders/model_builder_tf2_test.py   # should end with OK
cd ../..
\`\`\`

Copy this export folder onto the machine and \`cd\` into it; every command below runs from here, because
\`${f.pipelineConfig}\` refers to the other files by relative path.

## 2. Download the pre-trained checkpoint

\`\`\`sh
wget ${OD_API_CHECKPOINT_URL}
tar -xzf ${ckpt}.tar.gz
\`\`\`

## 3. Point the config at the checkpoint

In \`${f.pipelineConfig}\`, \`fine_tune_checkpoint\` must name the checkpoint *prefix* (no \`.index\` or
\`.data-*\` suffix):

\`\`\`
fine_tune_checkpoint: "${ckpt}/checkpoint/ckpt-0"
\`\`\`

Check that \`label_map_path\` and the two \`input_path\` entries name \`${f.labelMap}\`, \`${f.trainRecord}\` and
\`${f.testRecord}\` where they now are. If the GPU runs out of memory, lower \`batch_size\` in \`train_config\`.

## 4. Train

\`\`\`sh
python ../models/research/object_detection/model_main_tf2.py \\
  --pipeline_config_path=${f.pipelineConfig} \\
  --model_dir=training \\
  --alsologtostderr
\`\`\`

(Adjust \`../models\` to where you cloned it.) Checkpoints are written to \`training/\`. Watch the losses with
\`tensorboard --logdir training\`.

## 5. Evaluate on the test set

In a second terminal, during or after training (\`--checkpoint_dir\` switches \`model_main_tf2.py\` to evaluation):

\`\`\`sh
python ../models/research/object_detection/model_main_tf2.py \\
  --pipeline_config_path=${f.pipelineConfig} \\
  --model_dir=training \\
  --checkpoint_dir=training \\
  --eval_timeout=60 \\
  --alsologtostderr
\`\`\`

It prints COCO detection metrics (mAP@[.5:.95], mAP@.5, ...) for \`${f.testRecord}\`.

## 6. Export a SavedModel

\`\`\`sh
python ../models/research/object_detection/exporter_main_v2.py \\
  --input_type=image_tensor \\
  --pipeline_config_path=${f.pipelineConfig} \\
  --trained_checkpoint_dir=training \\
  --output_directory=exported
\`\`\`

The SavedModel is \`exported/saved_model\`.

## 7. Convert to ONNX

\`\`\`sh
pip install tf2onnx
python -m tf2onnx.convert --saved-model exported/saved_model --opset 13 --output model.onnx
\`\`\`

The ONNX model takes \`input_tensor\`, a uint8 image batch \`[1, height, width, 3]\` (RGB; the model resizes to
320x320 itself), and returns:

- \`detection_boxes\` \`[1, 100, 4]\`: \`[ymin, xmin, ymax, xmax]\`, normalised to 0..1;
- \`detection_scores\` \`[1, 100]\`: confidence, best first;
- \`detection_classes\` \`[1, 100]\`: class ids as floats, the \`id\`s of \`${f.labelMap}\` (1-based);
- \`num_detections\` \`[1]\`: how many of the 100 rows are real.

## 8. Bring the model into KSL Studio

Import \`model.onnx\` in KSL Studio **together with this folder's \`${f.labelMap}\`**: the class ids the model
emits mean nothing without the label map it was trained with, so always keep the two files side by side.
`;
}
