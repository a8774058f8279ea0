/**
 * A sample project with one tiny trained run (20 steps), shared by the inference tests: the model is
 * weak, but it is a real export of a real run, so every byte path (export, worker, NMS, catalog) is real.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrainParams } from '../../../src-shared/api';
import { openProject } from '../../../src-main/services/catalog/project';
import { JobManager } from '../../../src-main/services/jobs/job-manager';
import { createTrainJob, trainJob, type TrainResult } from '../../../src-main/services/training/train-job';
import { buildSampleProject } from '../../helpers/sample-project';

/** `secondStage: false` trains the detector alone (tests of the detector's own post-processing). */
export async function trainedProject(prefix: string, opts: { secondStage?: boolean } = {}): Promise<{ root: string; projectDir: string; runId: string }> {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  const projectDir = buildSampleProject(root);
  const p = openProject(projectDir);
  try {
    const m = new JobManager(p, { train: opts.secondStage === false ? createTrainJob({ secondStage: false }) : trainJob }, { emit: () => {}, throttleMs: 0 });
    const id = m.start('train', TrainParams.parse({ steps: 20, batch: 8, copies: 1, checkpoints: 1 }));
    const end = await m.wait(id);
    if (end.outcome !== 'ok') throw new Error(`training failed: ${end.error?.message}`);
    return { root, projectDir, runId: (end.result as TrainResult).run };
  } finally {
    p.close();
  }
}
