/** Every job kind the app can run, keyed by kind. */
import type { ExtractParams, ImportVideosParams } from '../../src-shared/api';
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

export const jobDefinitions: Record<string, JobDefinition<any>> = {
  extract: extractJob satisfies JobDefinition<ExtractParams>,
  'import.videos': importVideosJob,
  check: checkJob,
};
