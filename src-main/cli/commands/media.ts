import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ExtractParams } from '../../../src-shared/api';
import { KslError } from '../../../src-shared/result';
import { openProject } from '../../services/catalog/project';
import { importVideos } from '../../services/ingest/import-videos';
import type { ExtractResult } from '../../services/media/extract-job';
import { printResult } from '../output';
import { runJobInCli } from '../run-job';
import { withErrors } from '../with-errors';

export const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number (got ${JSON.stringify(v)}).`);
  return n;
};
export const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number (got ${JSON.stringify(v)}).`);
  return n;
};

export function registerMediaCommands(program: Command, importCmd: Command): void {
  importCmd
    .command('videos')
    .description('catalog your own clips; the word comes from the file name or its folder (Hangul, spaces and commas are fine)')
    .argument('<project>', 'project folder')
    .argument('<dir>', 'folder with video files (searched recursively)')
    .option('--word-from <source>', 'name | folder', 'name')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, videosDir: string, opts) => {
      if (opts.wordFrom !== 'name' && opts.wordFrom !== 'folder') throw new KslError('INVALID', `--word-from must be "name" or "folder" (got ${JSON.stringify(opts.wordFrom)}).`);
      const p = openProject(dir);
      try {
        const r = importVideos(p, videosDir, opts.wordFrom);
        printResult(opts, r, () => `${r.videos} videos (${r.added} new), ${r.words} words${r.problems.length ? `; ${r.problems.length} problems:\n` + r.problems.map((x) => `  ${x.file}: ${x.message}`).join('\n') : ''}`);
      } finally {
        p.close();
      }
    }));

  program
    .command('extract')
    .description('extract frames from every linked video with ffmpeg (one decode per video; resumable: run again after an interruption)')
    .argument('<project>', 'project folder')
    .option('--fps <F>', 'frames per second to keep (default 5)', positiveNumber('--fps'))
    .option('--every <N>', 'keep every Nth frame', positiveInt('--every'))
    .option('--all', 'keep every frame')
    .option('--max-side <PX>', 'shrink so the longest side is at most PX (default 640; 0 keeps full size)', (v) => Number(v))
    .option('--format <fmt>', 'jpg | png', 'jpg')
    .option('--jobs <N>', 'videos decoded at once', positiveInt('--jobs'), 1)
    .option('--json', 'print one JSON document')
    .option('--quiet', 'no progress on stderr')
    .action(withErrors(async (dir: string, opts) => {
      const chosen = [opts.fps !== undefined, opts.every !== undefined, !!opts.all].filter(Boolean).length;
      if (chosen > 1) throw new KslError('INVALID', 'Give one of --fps, --every or --all.');
      const parsed = ExtractParams.safeParse({
        mode: opts.all ? 'all' : opts.every !== undefined ? 'every' : 'fps',
        fps: opts.fps ?? 5,
        every: opts.every ?? 1,
        maxSide: opts.maxSide === undefined ? 640 : opts.maxSide === 0 ? null : opts.maxSide,
        format: opts.format,
        jobs: opts.jobs,
      });
      if (!parsed.success) throw new KslError('INVALID', `extract: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const p = openProject(dir);
      try {
        const r = (await runJobInCli(p, 'extract', parsed.data, opts, 'extract')) as ExtractResult;
        printResult(opts, r, () => {
          const lines = [`${r.videos.done} videos extracted (${r.videos.skipped} already done, ${r.videos.failed} failed), ${r.frames} frames`];
          for (const f of r.failures) lines.push(`  failed: ${f.file}: ${f.error}`);
          return lines.join('\n');
        });
      } finally {
        p.close();
      }
    }));
}
