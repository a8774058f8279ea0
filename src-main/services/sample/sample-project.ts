/**
 * A labelled project from a fresh synthetic sample, built the way a user would through the app's own
 * services: `ksl sample` → init → import keti → extract (5 fps, longest side 640) → ground-truth boxes
 * → split by signer. Shared by `ksl demo` and the benchmarks, so they all measure the same data.
 */
import path from 'node:path';
import type { ExtractParams } from '../../../src-shared/api';
import type { SplitReport } from '../../../src-shared/dataset-types';
import type { JobEvent } from '../../../src-shared/jobs';
import { KslError } from '../../../src-shared/result';
import { initProject, type Project } from '../catalog/project';
import { makeSplit } from '../dataset/split';
import { importGroundTruth } from '../ingest/import-groundtruth';
import { importKeti } from '../ingest/keti-import';
import { jobDefinitions } from '../job-kinds';
import { JobManager } from '../jobs/job-manager';
import { generateSample, type SampleResult } from './generate-sample';

export type SampleProjectStage = 'sample' | 'import' | 'extract' | 'boxes' | 'split';

export interface SampleProjectOptions {
  /** The sample goes to `root/sample`, the project to `root/project`. */
  root: string;
  words?: number;
  signers?: number;
  seconds?: number;
  seed?: number;
  /** Test fraction and seed of the split by signer. */
  test?: number;
  splitSeed?: number;
  signal?: AbortSignal;
  /** Called as each stage starts, then once more with 'done' for the last one. */
  onStage?: (stage: SampleProjectStage, message: string) => void;
  onJob?: (e: JobEvent) => void;
}

export interface SampleProject {
  sample: SampleResult;
  /** Open; the caller closes it. */
  project: Project;
  /** Runs jobs on the project the way the app does (cancelled with `signal`). */
  runJob: (kind: string, params: unknown) => Promise<unknown>;
  split: SplitReport;
  /** Seconds per stage. */
  seconds: Record<SampleProjectStage, number>;
}

export async function prepareSampleProject(o: SampleProjectOptions): Promise<SampleProject> {
  const seconds = {} as SampleProject['seconds'];
  let current: SampleProjectStage | null = null;
  let started = Date.now();
  const stage = (s: SampleProjectStage, message: string) => {
    const now = Date.now();
    if (current) seconds[current] = (now - started) / 1000;
    o.signal?.throwIfAborted();
    [current, started] = [s, now];
    o.onStage?.(s, message);
  };

  stage('sample', 'writing the synthetic KETI-style sample (sheet, word list, level table, videos, ground truth)…');
  // The sample's own defaults (6 words, 10 signers, 3 s) unless told otherwise.
  const sample = await generateSample({ out: path.join(o.root, 'sample'), words: o.words, signers: o.signers, seconds: o.seconds, seed: o.seed, signal: o.signal });
  const projectDir = path.join(o.root, 'project');
  const project = initProject(projectDir);
  try {
    const jobs = new JobManager(project, jobDefinitions, { emit: (e) => o.onJob?.(e) });
    const runJob = async (kind: string, params: unknown): Promise<unknown> => {
      const id = jobs.start(kind, params);
      const onAbort = () => jobs.cancel(id);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const end = await jobs.wait(id);
        if (end.outcome === 'cancelled') throw new KslError('CANCELLED', `${kind} was cancelled; the project so far is in ${projectDir}.`);
        if (end.outcome === 'failed') throw new KslError('FAILED', `${kind} failed: ${end.error?.message ?? 'unknown error'}`);
        return end.result;
      } finally {
        o.signal?.removeEventListener('abort', onAbort);
      }
    };

    stage('import', `importing ${sample.videos} videos of ${sample.wordList.length} words from the sheet…`);
    await importKeti(project, { annotations: sample.annotations, words: sample.words, labels: sample.labels, direction: '정면', type: '단어', videos: sample.videosDir });

    stage('extract', 'extracting frames at 5 fps (longest side 640)…');
    const extract: ExtractParams = { mode: 'fps', fps: 5, every: 1, maxSide: 640, format: 'jpg', jobs: 2 };
    await runJob('extract', extract);

    stage('boxes', "boxing every frame from the sample's ground truth…");
    importGroundTruth(project, sample.groundTruth);

    const test = o.test ?? 0.33;
    stage('split', `splitting by signer (${Math.round(test * 100)}% of the signers held out for testing)…`);
    const split = makeSplit(project, { by: 'signer', test, seed: o.splitSeed ?? 42 });
    seconds.split = (Date.now() - started) / 1000;
    return { sample, project, runJob, split, seconds };
  } catch (e) {
    project.close();
    throw e;
  }
}
