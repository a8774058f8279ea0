import type { Command } from 'commander';
import { openProject } from '../../services/catalog/project';
import { JobManager } from '../../services/jobs/job-manager';
import { jobDefinitions } from '../../services/job-kinds';
import { printResult } from '../output';
import { runJobInCli } from '../run-job';
import { withErrors } from '../with-errors';
import type { CheckResult } from '../../services/catalog/check-job';

export function registerJobCommands(program: Command): void {
  program
    .command('jobs')
    .description('list the project\'s jobs (running, finished, interrupted)')
    .argument('<project>', 'project folder')
    .option('--limit <N>', 'how many', (v) => Number(v), 20)
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, opts) => {
      const p = openProject(dir);
      try {
        // Constructing the manager marks jobs of dead processes as interrupted.
        const jobs = new JobManager(p, jobDefinitions, { emit: () => {} }).list(opts.limit);
        printResult(opts, jobs, () => jobs.map((j) => `${j.id}  ${j.kind.padEnd(14)} ${j.state.padEnd(11)} ${j.done}/${j.total}  ${j.createdAt}  ${j.error ?? j.message}`).join('\n') || 'No jobs yet.');
      } finally {
        p.close();
      }
    }));

  program
    .command('check')
    .description('check the catalog (SQLite integrity, foreign keys) and that every frame and video file is on disk')
    .argument('<project>', 'project folder')
    .option('--json', 'print one JSON document')
    .option('--quiet', 'no progress on stderr')
    .action(withErrors(async (dir: string, opts) => {
      const p = openProject(dir);
      try {
        const r = (await runJobInCli(p, 'check', {}, opts, 'check')) as CheckResult;
        printResult(opts, r, () => `integrity: ${r.integrity}; foreign-key problems: ${r.foreignKeyProblems}; missing frames: ${r.missingFrames.length}; missing videos: ${r.missingVideos.length} (of ${r.checked} files)`);
        if (r.integrity !== 'ok' || r.foreignKeyProblems || r.missingFrames.length || r.missingVideos.length) process.exitCode = 1;
      } finally {
        p.close();
      }
    }));
}
