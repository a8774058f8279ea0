/**
 * Dataset screen: make a split without leakage, see it per word and per side, check for leaks,
 * and export it (TFRecord + pipeline.config for the TF Object Detection API, or COCO JSON).
 */
import { useState } from 'react';
import type { SplitReport } from '../../src-shared/dataset-types';
import { useApi, useApiEvent, useQuery } from '../api/api-context';
import { JobProgress } from '../components/JobProgress';
import { useJobs } from '../components/use-jobs';

export function DatasetScreen() {
  const api = useApi();
  const info = useQuery('project.info', {});
  const [level, setLevel] = useState<number | undefined>(undefined);
  const [by, setBy] = useState<'signer' | 'video' | 'frame'>('signer');
  const [test, setTest] = useState(0.33);
  const [seed, setSeed] = useState(42);
  const [error, setError] = useState<string | null>(null);
  const latest = useQuery('dataset.latestSplit', level === undefined ? {} : { level }, [level]);
  const { jobs, cancel } = useJobs();
  const [lastExport, setLastExport] = useState<string | null>(null);
  useApiEvent('job', (e) => {
    if (e.type === 'end' && e.kind === 'export' && e.outcome === 'ok') setLastExport((e.result as { folder?: string })?.folder ?? null);
  });
  const report: SplitReport | null | undefined = latest.data;
  const signers = useQuery('dataset.splitSigners', { splitId: report?.id ?? 1 }, [report?.id]);
  const levels = info.data?.levels ? Object.keys(info.data.levels).filter((l) => l !== 'none') : [];

  const split = async () => {
    setError(null);
    const r = await api.invoke('dataset.split', { by, test, seed, ...(level !== undefined ? { level } : {}) });
    if (!r.ok) setError(r.error.message);
    latest.reload();
  };
  const exportAs = async (format: 'tfrecord' | 'coco') => {
    setError(null);
    const r = await api.invoke('jobs.start', { kind: 'export', params: { format, side: 'test', steps: 5000, ...(level !== undefined ? { level } : {}) } });
    if (!r.ok) setError(r.error.message);
  };

  return (
    <div className="dataset">
      <section className="panel">
        <h2>Split</h2>
        <div className="row wrap">
          <label>
            Level{' '}
            <select aria-label="level" value={level ?? ''} onChange={(e) => setLevel(e.target.value === '' ? undefined : Number(e.target.value))}>
              <option value="">all words</option>
              {levels.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          <label>
            By{' '}
            <select aria-label="split by" value={by} onChange={(e) => setBy(e.target.value as typeof by)}>
              <option value="signer">signer (no person on both sides)</option>
              <option value="video">video</option>
              <option value="frame">frame (the notebook's way: leaks)</option>
            </select>
          </label>
          <label>
            Test fraction <input aria-label="test fraction" type="number" min={0.05} max={0.95} step={0.01} value={test} onChange={(e) => setTest(Number(e.target.value))} />
          </label>
          <label>
            Seed <input aria-label="seed" type="number" min={0} value={seed} onChange={(e) => setSeed(Number(e.target.value))} />
          </label>
          <button type="button" className="primary" onClick={() => void split()}>
            Make split
          </button>
        </div>
        {by === 'frame' && <p className="warn">Frames of one video are near-duplicates: splitting by frame puts the same moment on both sides, so the test score measures memory, not recognition.</p>}
        {error && <p className="error" role="alert">{error}</p>}
      </section>

      {report ? (
        <section className="panel" data-testid="split-report">
          <div className="row space">
            <h3>
              Split #{report.id} — by {report.method}
              {report.seed !== null ? `, seed ${report.seed}` : ''}
            </h3>
            <span className={report.leaks.count ? 'error' : 'ok-text'} data-testid="leak-check">
              {report.leaks.count ? `${report.leaks.count} ${report.leaks.kind}s on both sides — training will refuse this split` : `No leaks: no ${report.leaks.kind} on both sides`}
            </span>
          </div>
          <table>
            <thead>
              <tr>
                <th>Side</th>
                <th className="num">Frames</th>
                <th className="num">Videos</th>
                <th className="num">Signers</th>
              </tr>
            </thead>
            <tbody>
              {(['train', 'test'] as const).map((side) => (
                <tr key={side}>
                  <td>{side}</td>
                  <td className="num">{report[side].frames}</td>
                  <td className="num">{report[side].videos}</td>
                  <td className="num">{report[side].signers}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.warnings.length > 0 && (
            <ul className="warn">
              {report.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <h4>Per signer</h4>
          <table data-testid="split-per-signer">
            <thead>
              <tr>
                <th>Signer</th>
                <th className="num">Train frames</th>
                <th className="num">Test frames</th>
                <th>Side</th>
              </tr>
            </thead>
            <tbody>
              {(signers.data ?? []).map((s) => (
                <tr key={s.signer}>
                  <td>#{s.signer}</td>
                  <td className="num">{s.train}</td>
                  <td className="num">{s.test}</td>
                  <td className={s.train > 0 && s.test > 0 ? 'error' : ''}>{s.train > 0 && s.test > 0 ? 'both — leak' : s.test > 0 ? 'test' : 'train'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>Per word</h4>
          <table data-testid="split-per-word">
            <thead>
              <tr>
                <th>Word</th>
                <th>Level</th>
                <th className="num">Train frames</th>
                <th className="num">Test frames</th>
                <th className="num">Test share</th>
                <th className="num">Train signers</th>
                <th className="num">Test signers</th>
              </tr>
            </thead>
            <tbody>
              {report.perWord.map((w) => {
                const total = w.train.frames + w.test.frames;
                return (
                  <tr key={w.wordId}>
                    <td lang="ko">{w.word}</td>
                    <td>{w.level ?? '—'}</td>
                    <td className="num">{w.train.frames}</td>
                    <td className="num">{w.test.frames}</td>
                    <td className="num">{total ? `${((100 * w.test.frames) / total).toFixed(0)}%` : '—'}</td>
                    <td className="num">{w.train.signers}</td>
                    <td className="num">{w.test.signers}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      ) : (
        <p className="panel muted">No split for this level yet. Frames with boxes (and frames marked skipped) take part.</p>
      )}

      <section className="panel">
        <div className="row space">
          <h3>Export</h3>
          <div className="row">
            <button type="button" disabled={!report} onClick={() => void exportAs('tfrecord')}>
              TFRecord + pipeline.config
            </button>
            <button type="button" disabled={!report} onClick={() => void exportAs('coco')}>
              COCO JSON (test side)
            </button>
          </div>
        </div>
        <p className="muted">TFRecord exports train the notebook's ssd_mobilenet_v2_fpnlite_320x320 with the TensorFlow Object Detection API on a GPU machine; the export's README says how, and how to bring the model back as ONNX.</p>
        <div className="jobs">
          {jobs
            .filter((j) => j.kind === 'export')
            .map((j) => (
              <JobProgress key={j.jobId} job={j} onCancel={cancel} />
            ))}
        </div>
        {lastExport && (
          <p data-testid="export-folder">
            Written to <code>{lastExport}</code> in the project folder.
          </p>
        )}
      </section>
    </div>
  );
}
