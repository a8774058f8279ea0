/** Every job kind the app can run, keyed by kind. */
import type { ExtractParams, ImportKetiParams, ImportVideosParams } from '../../src-shared/api';
import { importKeti, type KetiImportOptions } from './ingest/keti-import';
import { resolveInProject } from './fs/project-paths';
import { importVideos } from './ingest/import-videos';
import type { JobDefinition } from './jobs/job-manager';
import { extractJob } from './media/extract-job';
import { checkJob } from './catalog/check-job';

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

export const jobDefinitions: Record<string, JobDefinition<any>> = {
  extract: extractJob satisfies JobDefinition<ExtractParams>,
  'import.videos': importVideosJob,
  'import.keti': importKetiJob,
  check: checkJob,
};
