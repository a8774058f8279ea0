/** Runs for the Train screen and `ksl eval`: the catalog's rows plus what each run folder holds. */
import path from 'node:path';
import type { RunDetail, RunMetricsPoint, RunSummary } from '../../../src-shared/training-types';
import { KslError } from '../../../src-shared/result';
import type { Project } from '../catalog/project';
import { readJson, readMetrics, runDir } from './run-store';

interface RunRow {
  id: string;
  split_id: number | null;
  level: number | null;
  preset: string;
  backend: string | null;
  config: string;
  status: string;
  metrics: string;
  started_at: string;
  finished_at: string | null;
}

const summary = (r: RunRow): RunSummary => ({
  id: r.id,
  level: r.level,
  preset: r.preset,
  backend: r.backend,
  status: r.status,
  splitId: r.split_id,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  metrics: JSON.parse(r.metrics) as Record<string, number>,
});

/** A run still marked running while no training job runs was cut off (crash, kill, power). */
function liveStatus(project: Project, r: RunRow): RunRow {
  if (r.status !== 'running') return r;
  const live = project.db.prepare("SELECT COUNT(*) FROM jobs WHERE kind = 'train' AND state = 'running'").pluck().get() as number;
  return live > 0 ? r : { ...r, status: 'interrupted' };
}

export function listRuns(project: Project, limit = 50): RunSummary[] {
  return (project.db.prepare('SELECT * FROM runs ORDER BY started_at DESC LIMIT ?').all(limit) as RunRow[]).map((r) => summary(liveStatus(project, r)));
}

export function getRun(project: Project, id: string): RunDetail {
  const row = project.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  if (!row) throw new KslError('NOT_FOUND', `No training run ${id} in this project (ksl runs lists them).`);
  const dir = runDir(project, id);
  return {
    ...summary(liveStatus(project, row)),
    config: JSON.parse(row.config) as Record<string, unknown>,
    history: readMetrics<RunMetricsPoint>(dir),
    best: readJson<RunDetail['best']>(path.join(dir, 'best-metrics.json')) ?? null,
  };
}
