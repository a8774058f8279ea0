/**
 * Train screen: one click per word level. Pick level and preset, Start; watch the loss and the
 * test mAP per checkpoint live; then the per-word AP table, the confusion matrix and the
 * precision–recall curves of the best checkpoint.
 */
import { useState } from 'react';
import { TrainParams } from '../../src-shared/api';
import type { JobProgress as Progress } from '../../src-shared/jobs';
import type { RunDetail } from '../../src-shared/training-types';
import { useApi, useApiEvent, useQuery } from '../api/api-context';
import { JobProgress } from '../components/JobProgress';
import { LineChart } from '../components/LineChart';
import { useJobs } from '../components/use-jobs';

/** The contract's default, so the screen and `ksl train` start the same run. */
const DEFAULT_STEPS = TrainParams.parse({}).steps;

export function TrainScreen() {
  const api = useApi();
  const info = useQuery('project.info', {});
  const runs = useQuery('runs.list', {});
  const [level, setLevel] = useState<number | undefined>(undefined);
  const [preset, setPreset] = useState<'fast' | 'full'>('fast');
  const [steps, setSteps] = useState(DEFAULT_STEPS);
  const [input, setInput] = useState('auto');
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [loss, setLoss] = useState<[number, number][]>([]);
  const [map, setMap] = useState<[number, number][]>([]);
  const { jobs, cancel } = useJobs();
  useApiEvent('job', (e) => {
    if (e.kind !== 'train') return;
    if (e.type === 'progress' && e.metrics?.step !== undefined) {
      const m = e.metrics;
      if (m.loss !== undefined) setLoss((l) => (l.length && l[l.length - 1]![0] === m.step ? l : [...l, [m.step!, m.loss!] as [number, number]].slice(-2000)));
      if (m.AP50 !== undefined) setMap((l) => [...l.filter((p) => p[0] !== m.step), [m.step!, m.AP50!] as [number, number]]);
    }
    if (e.type === 'end') {
      runs.reload();
      const run = (e.result as { run?: string } | undefined)?.run;
      if (run) setSelected(run);
    }
  });
  const detail = useQuery('runs.get', { id: selected ?? '-' }, [selected, runs.data]);
  const levels = info.data?.levels ? Object.keys(info.data.levels).filter((l) => l !== 'none') : [];

  const start = async () => {
    setError(null);
    setLoss([]);
    setMap([]);
    const r = await api.invoke('jobs.start', { kind: 'train', params: { preset, steps, input, ...(level !== undefined ? { level } : {}) } });
    if (!r.ok) setError(r.error.message);
  };
  /** A cancelled, failed or interrupted run goes on from its last checkpoint with its own schedule. */
  const resume = async (run: { id: string; preset: string }) => {
    setError(null);
    setSelected(run.id);
    const r = await api.invoke('jobs.start', { kind: 'train', params: { preset: run.preset === 'full' ? 'full' : 'fast', runId: run.id } });
    if (!r.ok) setError(r.error.message);
  };
  const trainJobs = jobs.filter((j) => j.kind === 'train');
  const running = trainJobs.find((j) => !j.end);
  const last: Progress | undefined = running?.progress;

  return (
    <div className="train">
      <section className="panel">
        <h2>Train a detector</h2>
        <div className="row wrap">
          <label>
            Level{' '}
            <select aria-label="level" value={level ?? ''} onChange={(e) => setLevel(e.target.value === '' ? undefined : Number(e.target.value))}>
              <option value="">all words</option>
              {levels.map((l) => (
                <option key={l} value={l}>
                  {l} ({info.data?.levels?.[l]} words)
                </option>
              ))}
            </select>
          </label>
          <label>
            Preset{' '}
            <select aria-label="preset" value={preset} onChange={(e) => setPreset(e.target.value as 'fast' | 'full')}>
              <option value="fast">fast — frozen pretrained backbone, head trained here</option>
              <option value="full">full — fine-tune everything (needs native TensorFlow)</option>
            </select>
          </label>
          <label>
            Steps <input aria-label="steps" type="number" min={10} max={100000} value={steps} onChange={(e) => setSteps(Number(e.target.value))} />
          </label>
          <label>
            Input{' '}
            <select aria-label="input size" value={input} onChange={(e) => setInput(e.target.value)}>
              <option value="auto">auto — the frames' aspect ratio (384×224 for 16:9)</option>
              <option value="640x352">640×352 — 16:9, a better detector on its own, 2.5× slower live</option>
              <option value="320x320">320×320 — the pretrained size (squashes 16:9 hands)</option>
            </select>
          </label>
          <button type="button" className="primary" disabled={!!running} onClick={() => void start()}>
            Start
          </button>
        </div>
        <p className="muted">Pretrained SSD MobileNetV2 FPNLite from handtrackjs (trained on hands), installed with npm and loaded offline; it runs at any input size, and keeping the frames' aspect ratio keeps hands their shape. Training uses the level's latest split; a split that leaks is refused.</p>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="jobs">
          {trainJobs.map((j) => (
            <JobProgress key={j.jobId} job={j} onCancel={cancel} />
          ))}
        </div>
        {last?.metrics?.step !== undefined && (
          <p className="muted" data-testid="train-live">
            step {last.metrics.step} · loss {last.metrics.loss?.toFixed(4)} (class {last.metrics.clsLoss?.toFixed(4)}, box {last.metrics.boxLoss?.toFixed(4)}) · lr {last.metrics.lr?.toExponential(2)} · {last.metrics.samplesPerSecond?.toFixed(1)} samples/s
            {last.metrics.bestAP50 !== undefined ? ` · best AP50 ${last.metrics.bestAP50.toFixed(3)}` : ''}
          </p>
        )}
        {(loss.length > 0 || map.length > 0) && (
          <div className="row wrap">
            <LineChart testId="loss-chart" yLabel="loss" xLabel="step" series={[{ name: 'loss', points: loss }]} />
            <LineChart testId="map-chart" yLabel="test AP50" xLabel="step" yMax={1} series={[{ name: 'AP50', points: map, className: 'alt' }]} />
          </div>
        )}
      </section>

      <section className="panel">
        <h3>Runs</h3>
        <table data-testid="runs-table">
          <thead>
            <tr>
              <th>Run</th>
              <th>Level</th>
              <th>Preset</th>
              <th>Status</th>
              <th className="num">AP</th>
              <th className="num">AP50</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(runs.data ?? []).length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  No runs yet.
                </td>
              </tr>
            )}
            {(runs.data ?? []).map((r) => (
              <tr key={r.id} className={selected === r.id ? 'selected' : ''}>
                <td>{r.id}</td>
                <td>{r.level ?? 'all'}</td>
                <td>{r.preset}</td>
                <td>{r.status}</td>
                <td className="num">{r.metrics.AP?.toFixed(3) ?? '—'}</td>
                <td className="num">{r.metrics.AP50?.toFixed(3) ?? '—'}</td>
                <td className="row">
                  <button type="button" onClick={() => setSelected(r.id)}>
                    Show
                  </button>
                  {r.status !== 'ok' && !running && (
                    <button type="button" onClick={() => void resume(r)} title="continue from the last checkpoint with the same schedule">
                      Resume
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {selected && detail.data && <RunReport run={detail.data} />}
    </div>
  );
}

function RunReport({ run }: { run: RunDetail }) {
  const best = run.best;
  const classes = (run.config.classes as { id: number; text: string }[] | undefined) ?? [];
  return (
    <section className="panel" data-testid="run-report">
      <h3>
        Run {run.id} — {run.status}
      </h3>
      {run.history.length > 0 && (
        <LineChart
          testId="run-history"
          yLabel="test metrics per checkpoint"
          xLabel="step"
          yMax={1}
          series={[
            { name: 'AP50', points: run.history.map((h) => [h.step, h.AP50]), className: 'alt' },
            { name: 'AP', points: run.history.map((h) => [h.step, h.AP]) },
          ]}
        />
      )}
      {best ? (
        <>
          <p>
            Best checkpoint: step {best.step} — test AP <strong>{best.stats.AP?.toFixed(3)}</strong>, AP50 <strong>{best.stats.AP50?.toFixed(3)}</strong>, AP75 {best.stats.AP75?.toFixed(3)}, AR100 {best.stats.AR100?.toFixed(3)}
          </p>
          {best.detector && (
            <p className="muted" data-testid="second-stage-note">
              With the second stage, which reads each hand's word again from a close-up of the frame. The detector alone: AP {best.detector.AP?.toFixed(3)}, AP50 {best.detector.AP50?.toFixed(3)}. The chart above shows the detector's checkpoints.
            </p>
          )}
          <div className="grid2">
            <div>
              <h4>AP per word</h4>
              <table data-testid="per-word-ap">
                <thead>
                  <tr>
                    <th>Word</th>
                    <th className="num">AP</th>
                    <th className="num">AP50</th>
                    <th className="num">Boxes</th>
                  </tr>
                </thead>
                <tbody>
                  {best.perWord.map((w) => (
                    <tr key={w.id}>
                      <td lang="ko">{w.word}</td>
                      <td className="num">{w.AP.toFixed(3)}</td>
                      <td className="num">{w.AP50.toFixed(3)}</td>
                      <td className="num">{w.gt}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div>
              <h4>Confusion (rows: true word; columns: detected word at IoU ≥ 0.5)</h4>
              <table className="confusion" data-testid="confusion">
                <thead>
                  <tr>
                    <th />
                    {classes.map((c) => (
                      <th key={c.id} lang="ko">
                        {c.text}
                      </th>
                    ))}
                    <th>missed</th>
                  </tr>
                </thead>
                <tbody>
                  {best.confusion.map((row, i) => {
                    const total = row.reduce((a, b) => a + b, 0) || 1;
                    return (
                      <tr key={i}>
                        <th lang="ko">{classes[i]?.text}</th>
                        {row.map((v, j) => (
                          <td key={j} className="num" style={{ background: `rgba(${j === i ? '63,185,80' : '248,81,73'}, ${(v / total) * 0.8})` }}>
                            {v}
                          </td>
                        ))}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </div>
          <h4>Precision–recall at IoU 0.5</h4>
          <div className="row wrap" data-testid="pr-curves">
            {best.pr50.map((c) => (
              <LineChart
                key={c.id}
                width={240}
                height={160}
                yMax={1}
                yLabel={`precision–recall ${c.id}`}
                xLabel="recall %"
                series={[{ name: classes.find((k) => k.id === c.id)?.text ?? String(c.id), points: c.precision.map((p, i) => [i, Math.max(0, p)] as [number, number]) }]}
              />
            ))}
          </div>
        </>
      ) : (
        <p className="muted">No evaluation yet.</p>
      )}
    </section>
  );
}
