import type { Command } from 'commander';
import { openProject } from '../../services/catalog/project';
import { exportRunOnnx } from '../../services/detector/export-onnx';
import { printResult } from '../output';
import { withErrors } from '../with-errors';

/** `ksl export onnx PROJECT --run RUN OUT.onnx`: a run's best checkpoint as one ONNX detector. */
export function registerExportOnnxCommand(exportCmd: Command): void {
  exportCmd
    .command('onnx')
    .description("a training run's best checkpoint as one ONNX detector (backbone + head + box decoding; label_map.pbtxt beside it), checked against the app's pipeline on a few frames")
    .argument('<project>', 'project folder')
    .argument('<out>', 'output .onnx file')
    .requiredOption('--run <id>', 'training run (ksl runs lists them)')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, out: string, opts) => {
      const p = openProject(dir);
      try {
        const r = await exportRunOnnx(p, opts.run as string, out);
        printResult(opts, r, () => {
          const shape = (s: (number | string)[]) => `[${s.join(',')}]`;
          return [
            `wrote ${r.out} (${(r.bytes / 1e6).toFixed(1)} MB, run ${r.run}, step ${r.step}) and ${r.labelMap}`,
            ...r.inputs.map((t) => `  input  ${t.name} ${t.type} ${shape(t.shape)}: ${t.description}`),
            ...r.outputs.map((t) => `  output ${t.name} ${t.type} ${shape(t.shape)}: ${t.description}`),
            r.parity.frames > 0
              ? `parity with the app's pipeline on ${r.parity.frames} frames: max |Δ| boxes ${r.parity.maxAbsBoxes.toExponential(2)}, scores ${r.parity.maxAbsScores.toExponential(2)}`
              : 'parity: no frames to check',
            ...(r.crop
              ? [
                  `second stage: wrote ${r.crop.out} (${(r.crop.bytes / 1e6).toFixed(1)} MB; crops of ${r.crop.meta.cropSize}×${r.crop.meta.cropSize}, side ${r.crop.meta.pad} × the hand's box)`,
                  ...r.crop.inputs.map((t) => `  input  ${t.name} ${t.type} ${shape(t.shape)}: ${t.description}`),
                  ...r.crop.outputs.map((t) => `  output ${t.name} ${t.type} ${shape(t.shape)}: ${t.description}`),
                  r.crop.parity.crops > 0
                    ? `  parity on ${r.crop.parity.crops} crops: max |Δ| words ${r.crop.parity.maxAbsProbs.toExponential(2)}, box ${r.crop.parity.maxAbsBox.toExponential(2)}`
                    : '  parity: no crops to check',
                ]
              : []),
          ].join('\n');
        });
      } finally {
        p.close();
      }
    }));
}
