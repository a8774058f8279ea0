/** One job's progress: bar, done/total, rate, ETA and a Cancel button. Reused by every screen. */
import type { JobEnd, JobProgress as Progress } from '../../src-shared/jobs';
import { formatEta } from '../../src-shared/progress';

export interface JobView {
  jobId: string;
  kind: string;
  progress?: Progress;
  end?: JobEnd;
}

const KIND_LABEL: Record<string, string> = {
  extract: 'Extract frames',
  'import.videos': 'Import videos',
  'import.keti': 'Import KETI sheet',
  check: 'Check catalog',
  export: 'Export',
  train: 'Train detector',
};

export function jobLabel(kind: string): string {
  return KIND_LABEL[kind] ?? kind;
}

export function JobProgress({ job, onCancel }: { job: JobView; onCancel?: (jobId: string) => void }) {
  const p = job.progress;
  const done = p?.done ?? 0;
  const total = p?.total ?? 0;
  const fraction = job.end?.outcome === 'ok' ? 1 : total > 0 ? Math.min(1, done / total) : 0;
  const state = job.end ? job.end.outcome : 'running';
  return (
    <div className={`job job-${state}`} data-testid="job" data-job-id={job.jobId} data-state={state}>
      <div className="job-head">
        <strong>{jobLabel(job.kind)}</strong>
        <span className="job-state">{state}</span>
        {!job.end && onCancel && (
          <button type="button" className="danger" onClick={() => onCancel(job.jobId)}>
            Cancel
          </button>
        )}
      </div>
      <div
        className="bar"
        role="progressbar"
        aria-label={`${jobLabel(job.kind)} progress`}
        aria-valuemin={0}
        aria-valuemax={total || 1}
        aria-valuenow={done}
      >
        <div className="bar-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <div className="job-numbers">
        <span data-testid="job-count">
          {done}/{total || '?'}
        </span>
        <span>{p && p.rate > 0 ? `${p.rate.toFixed(1)}/s` : '—/s'}</span>
        <span>ETA {job.end ? '—' : formatEta(p?.etaSeconds ?? null)}</span>
        <span className="job-message">{job.end?.error?.message ?? p?.message ?? ''}</span>
      </div>
    </div>
  );
}
