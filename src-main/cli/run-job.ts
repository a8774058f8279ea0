/** Runs one job in the CLI process with the same JobManager the app uses; Ctrl+C cancels it. */
import type { JobEvent } from '../../src-shared/jobs';
import { KslError } from '../../src-shared/result';
import type { Project } from '../services/catalog/project';
import { JobManager } from '../services/jobs/job-manager';
import { jobDefinitions } from '../services/job-kinds';
import { progressPrinter, type GlobalOpts } from './output';

export async function runJobInCli(project: Project, kind: string, params: unknown, opts: GlobalOpts, label = kind): Promise<unknown> {
  const printer = progressPrinter(opts, label);
  const manager = new JobManager(project, jobDefinitions, { emit: (e: JobEvent) => printer(e) });
  const id = manager.start(kind, params);
  const onSigint = () => {
    process.stderr.write('\nCancelling… (Ctrl+C again to quit at once)\n');
    manager.cancel(id);
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  const end = await manager.wait(id);
  process.removeListener('SIGINT', onSigint);
  if (end.outcome === 'cancelled') throw new KslError('CANCELLED', `${label} cancelled; run the same command again to resume.`);
  if (end.outcome === 'failed') throw new KslError((end.error?.code as never) ?? 'FAILED', end.error?.message ?? `${label} failed`);
  return end.result;
}
