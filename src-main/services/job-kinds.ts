/** Every job kind the app can run, keyed by kind. */
import type { ExportParams, ExtractParams, ImportKetiParams, ImportVideosParams } from '../../src-shared/api';
import path from 'node:path';
import { exportTfrecord } from './dataset/export-tfrecord';
import { exportCocoSplit } from './dataset/export-coco';
import { importKeti, type KetiImportOptions } from './ingest/keti-import';
import { resolveInProject } from './fs/project-paths';
import { importVideos } from './ingest/import-videos';
import type { JobDefinition } from './jobs/job-manager';
import { extractJob } from './media/extract-job';
import { checkJob } from './catalog/check-job';
import { trainJob } from './training/train-job';

const importVideosJob: JobDefinition<ImportVideosParams> = {
  kind: 'import.videos',
  resumable: false,
  async run(ctx, params) {
    // From the UI the folder must be inside the project; the CLI calls importVideos directly.
    const dir = resolveInProject(ctx.project.dir, params.dir);
    ctx.progress(0, 1, `Scanning ${params.dir || '.'}`);
    const result = importVideos(ctx.project, dir, params.wordFrom);
    ctx.progress(1, 1, `${result.videos} videos, ${result.words} words`);
    ctx.changed(['videos', 'words']);
    return result;
  },
};

/** UI paths are relative to the project; each is resolved and contained before use. */
export function ketiOptionsInProject(dir: string, p: ImportKetiParams): KetiImportOptions {
  const inside = (rel: string | undefined) => (rel === undefined || rel === '' ? undefined : resolveInProject(dir, rel));
  return {
    annotations: inside(p.annotations)!,
    words: inside(p.words),
    labels: inside(p.labels),
    videos: inside(p.videos),
    direction: p.direction || undefined,
    type: p.type || undefined,
  };
}

const importKetiJob: JobDefinition<ImportKetiParams> = {
  kind: 'import.keti',
  resumable: false,
  async run(ctx, params) {
    const result = await importKeti(ctx.project, {
      ...ketiOptionsInProject(ctx.project.dir, params),
      signal: ctx.signal,
      onProgress: (done, total, msg) => ctx.progress(done, total, msg),
    });
    ctx.changed(['words', 'signers', 'videos']);
    return result;
  },
};

/** Exports land in the project's exports/ folder, named by format, level and time. */
const exportJob: JobDefinition<ExportParams> = {
  kind: 'export',
  resumable: false,
  async run(ctx, params) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const name = `${params.format}-${params.level ? `level${params.level}` : 'all'}-${stamp}`;
    const out = path.join(ctx.project.dir, 'exports', name);
    if (params.format === 'coco') {
      ctx.progress(0, 1, 'Writing COCO JSON');
      const r = exportCocoSplit(ctx.project, path.join(out, `${params.side}.json`), { level: params.level, side: params.side });
      ctx.progress(1, 1, `${r.images} images, ${r.annotations} boxes`);
      return { ...r, folder: `exports/${name}` };
    }
    const r = await exportTfrecord(ctx.project, out, {
      level: params.level,
      numSteps: params.steps,
      signal: ctx.signal,
      onProgress: (done: number, total: number, message?: string) => ctx.progress(done, total, message ?? 'Writing records'),
    });
    return { ...r, folder: `exports/${name}` };
  },
};

export const jobDefinitions: Record<string, JobDefinition<any>> = {
  extract: extractJob satisfies JobDefinition<ExtractParams>,
  'import.videos': importVideosJob,
  'import.keti': importKetiJob,
  check: checkJob,
  export: exportJob,
  train: trainJob,
};
