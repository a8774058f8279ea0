/**
 * The first screen: create or open a project, then its catalog summary — counts per word, level
 * and signer, frames by status — kept current by catalog-change and job events.
 */
import { useEffect, useState } from 'react';
import type { AppInfo } from '../../src-shared/api';
import type { JobRecord } from '../../src-shared/jobs';
import { useApi, useApiEvent, useQuery } from '../api/api-context';
import { JobProgress, jobLabel } from '../components/JobProgress';
import { useJobs } from '../components/use-jobs';

export function ProjectScreen({ app }: { app: AppInfo | undefined }) {
  const api = useApi();
  const info = useQuery('project.info', {});
  const history = useQuery('jobs.list', { limit: 20 });
  const { jobs, cancel } = useJobs();
  const [actionError, setActionError] = useState<string | null>(null);
  useApiEvent('catalog.changed', () => {
    info.reload();
  });
  useApiEvent('job', (e) => {
    if (e.type === 'end') {
      info.reload();
      history.reload();
    }
  });

  const run = async (p: Promise<{ ok: boolean; error?: { message: string } }>) => {
    setActionError(null);
    const r = await p;
    if (!r.ok) setActionError(r.error!.message);
    else {
      info.reload();
      history.reload();
    }
  };

  if (info.error?.code === 'NO_PROJECT') {
    return (
      <section className="panel welcome">
        <h2>No project is open</h2>
        <p>A project is a folder holding the catalog (words, signers, videos, frames, boxes), the extracted frames, training runs and exports.</p>
        <div className="row">
          <button type="button" className="primary" onClick={() => void run(api.invoke('project.create', {}))}>
            {app?.dialogs ? 'Create project…' : 'Create a project in this folder'}
          </button>
          {app?.dialogs && (
            <button type="button" onClick={() => void run(api.invoke('project.open', {}))}>
              Open project…
            </button>
          )}
        </div>
        {actionError && <p className="error" role="alert">{actionError}</p>}
      </section>
    );
  }
  if (info.error) return <p className="error" role="alert">{info.error.message}</p>;
  const p = info.data;
  if (!p) return <p className="muted">Loading…</p>;

  const interrupted = (history.data ?? []).filter((j: JobRecord) => j.state === 'interrupted' || (j.resumable && (j.state === 'cancelled' || j.state === 'failed')));
  const live = jobs;
  const hasLinked = (p.videoStatus.linked ?? 0) > 0;
  const frames = p.counts.frames;
  const pct = (n: number) => (frames ? `${((100 * n) / frames).toFixed(1)}%` : '0%');

  return (
    <div className="project">
      <section className="panel">
        <h2 data-testid="project-name">{p.name}</h2>
        <p className="muted path">{p.path} · catalog schema {p.schemaVersion}</p>
        <div className="cards" data-testid="counts">
          {(
            [
              ['words', 'Words'],
              ['signers', 'Signers'],
              ['videos', 'Videos'],
              ['frames', 'Frames'],
              ['labelledFrames', 'Labelled frames'],
              ['boxes', 'Boxes'],
            ] as const
          ).map(([key, label]) => (
            <div className="card" key={key} data-testid={`count-${key}`}>
              <div className="card-value">{p.counts[key].toLocaleString()}</div>
              <div className="card-label">{label}</div>
            </div>
          ))}
        </div>
        <div className="status-bar" aria-label="frames by status">
          {(['verified', 'labelled', 'skipped', 'unlabelled'] as const).map((s) => (
            <div key={s} className={`seg seg-${s}`} style={{ width: pct(p.frameStatus[s]) }} title={`${s}: ${p.frameStatus[s]}`} />
          ))}
        </div>
        <p className="legend">
          {(['verified', 'labelled', 'skipped', 'unlabelled'] as const).map((s) => (
            <span key={s} className={`legend-${s}`}>
              {s} {p.frameStatus[s].toLocaleString()}
            </span>
          ))}
        </p>
      </section>

      <section className="panel">
        <div className="row space">
          <h3>Jobs</h3>
          <div className="row">
            <button
              type="button"
              disabled={!hasLinked}
              title={hasLinked ? 'Extract frames at 5 fps, longest side 640 px, JPEG' : 'No linked videos to extract'}
              onClick={() => void run(api.invoke('jobs.start', { kind: 'extract', params: { mode: 'fps', fps: 5, maxSide: 640, format: 'jpg', jobs: 1 } }))}
            >
              Extract frames
            </button>
            <button type="button" onClick={() => void run(api.invoke('jobs.start', { kind: 'check', params: {} }))}>
              Check catalog
            </button>
          </div>
        </div>
        {actionError && <p className="error" role="alert">{actionError}</p>}
        <div className="jobs" data-testid="jobs">
          {live.length === 0 && <p className="muted">No job has run in this window yet.</p>}
          {live.map((j) => (
            <JobProgress key={j.jobId} job={j} onCancel={cancel} />
          ))}
        </div>
        {interrupted.length > 0 && (
          <div className="interrupted">
            <h4>Unfinished jobs</h4>
            {interrupted.map((j) => (
              <div className="row" key={j.id} data-testid="unfinished-job">
                <span>
                  {jobLabel(j.kind)} — {j.state} at {j.done}/{j.total} ({new Date(j.updatedAt).toLocaleString()})
                </span>
                {j.resumable && (
                  <button type="button" onClick={() => void run(api.invoke('jobs.resume', { jobId: j.id }))}>
                    Resume
                  </button>
                )}
              </div>
            ))}
          </div>
        )}
      </section>

      <div className="grid2">
        <section className="panel">
          <h3>Words</h3>
          {p.levels && (
            <p className="muted" data-testid="levels">
              {Object.entries(p.levels)
                .map(([lv, n]) => `level ${lv}: ${n} words`)
                .join(' · ')}
            </p>
          )}
          <table data-testid="words-table">
            <thead>
              <tr>
                <th>Word</th>
                <th>Label</th>
                <th>Level</th>
                <th className="num">Videos</th>
                <th className="num">Frames</th>
                <th className="num">Boxes</th>
              </tr>
            </thead>
            <tbody>
              {p.words.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No words yet: import a KETI sheet or your own videos.
                  </td>
                </tr>
              )}
              {p.words.map((w) => (
                <tr key={w.id}>
                  <td lang="ko">{w.text}</td>
                  <td>{w.label ?? '—'}</td>
                  <td>{w.level ?? '—'}</td>
                  <td className="num">{w.videos}</td>
                  <td className="num">{w.frames}</td>
                  <td className="num">{w.boxes}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h3>Signers</h3>
          <table data-testid="signers-table">
            <thead>
              <tr>
                <th>Signer</th>
                <th className="num">Videos</th>
                <th className="num">Frames</th>
              </tr>
            </thead>
            <tbody>
              {p.signers.length === 0 && (
                <tr>
                  <td colSpan={3} className="muted">
                    No signers yet.
                  </td>
                </tr>
              )}
              {p.signers.map((s) => (
                <tr key={s.id}>
                  <td>#{s.code}</td>
                  <td className="num">{s.videos}</td>
                  <td className="num">{s.frames}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}

export function useAppInfo() {
  const api = useApi();
  const [info, setInfo] = useState<AppInfo>();
  useEffect(() => {
    void api.invoke('app.info', {}).then((r) => r.ok && setInfo(r.value));
  }, [api]);
  return info;
}
