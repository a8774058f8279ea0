/**
 * Import screen: the KETI sheet (with the word list and level table) and its video folder, with a
 * preview of matches and problems before anything is written; or a folder of one's own clips.
 * Files are picked from the project folder (put them under imports/); the browser door cannot
 * reach anything outside it.
 */
import { useEffect, useState } from 'react';
import type { FileEntry } from '../../src-shared/api';
import type { KetiImportResult } from '../../src-shared/import-types';
import { useApi, useQuery } from '../api/api-context';
import { JobProgress } from '../components/JobProgress';
import { useJobs } from '../components/use-jobs';

function useProjectFiles(): { files: FileEntry[]; dirs: FileEntry[]; reload: () => void } {
  const api = useApi();
  const [all, setAll] = useState<FileEntry[]>([]);
  const root = useQuery('files.list', { dir: 'imports' });
  useEffect(() => {
    // walk imports/ two levels deep: sheets and video folders live there
    const walk = async () => {
      const out: FileEntry[] = [];
      const queue = [...(root.data ?? [])];
      let depth = 0;
      while (queue.length && depth < 400) {
        const e = queue.shift()!;
        out.push(e);
        depth++;
        if (e.kind === 'dir' && e.path.split('/').length <= 3) {
          const r = await api.invoke('files.list', { dir: e.path });
          if (r.ok) queue.push(...r.value);
        }
      }
      if (!stale) setAll(out);
    };
    let stale = false;
    void walk();
    return () => {
      stale = true;
    };
  }, [api, root.data]);
  return { files: all.filter((f) => f.kind === 'file' && /\.(xlsx|xls|csv)$/i.test(f.name)), dirs: all.filter((f) => f.kind === 'dir'), reload: root.reload };
}

export function ImportScreen() {
  const api = useApi();
  const { files, dirs, reload } = useProjectFiles();
  const [sheet, setSheet] = useState('');
  const [words, setWords] = useState('');
  const [labels, setLabels] = useState('');
  const [videos, setVideos] = useState('');
  const [direction, setDirection] = useState('정면');
  const [type, setType] = useState('단어');
  const [preview, setPreview] = useState<KetiImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [clips, setClips] = useState('');
  const [wordFrom, setWordFrom] = useState<'name' | 'folder'>('name');
  const { jobs, cancel } = useJobs();

  const params = () => ({
    annotations: sheet,
    ...(words ? { words } : {}),
    ...(labels ? { labels } : {}),
    ...(videos ? { videos } : {}),
    ...(direction ? { direction } : {}),
    ...(type ? { type } : {}),
  });
  const doPreview = async () => {
    setError(null);
    setPreview(null);
    const r = await api.invoke('import.ketiPreview', params());
    if (r.ok) setPreview(r.value);
    else setError(r.error.message);
  };
  const doImport = async () => {
    setError(null);
    const r = await api.invoke('jobs.start', { kind: 'import.keti', params: params() });
    if (!r.ok) setError(r.error.message);
  };
  const importClips = async () => {
    setError(null);
    const r = await api.invoke('jobs.start', { kind: 'import.videos', params: { dir: clips, wordFrom } });
    if (!r.ok) setError(r.error.message);
  };
  const pick = (label: string, value: string, set: (v: string) => void, options: FileEntry[], optional = true) => (
    <label className="field">
      <span>{label}</span>
      <select aria-label={label} value={value} onChange={(e) => set(e.target.value)}>
        <option value="">{optional ? '— none —' : '— choose —'}</option>
        {options.map((f) => (
          <option key={f.path} value={f.path}>
            {f.path}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <div className="import">
      <section className="panel">
        <div className="row space">
          <h2>KETI dataset</h2>
          <button type="button" onClick={reload}>
            Refresh file list
          </button>
        </div>
        <p className="muted">Put the annotation workbook, the word list, the level table and the video folder (or a link to it) under the project's <code>imports/</code> folder; the command line (<code>ksl import keti</code>) can read them anywhere.</p>
        <div className="form">
          {pick('Annotation sheet', sheet, setSheet, files, false)}
          {pick('Word list (단어)', words, setWords, files)}
          {pick('Level table (index, 레벨)', labels, setLabels, files)}
          {pick('Video folder', videos, setVideos, dirs)}
          <label className="field">
            <span>방향 (direction)</span>
            <input aria-label="direction" type="text" value={direction} onChange={(e) => setDirection(e.target.value)} />
          </label>
          <label className="field">
            <span>타입 (type)</span>
            <input aria-label="type" type="text" value={type} onChange={(e) => setType(e.target.value)} />
          </label>
        </div>
        <div className="row">
          <button type="button" disabled={!sheet} onClick={() => void doPreview()}>
            Preview
          </button>
          <button type="button" className="primary" disabled={!sheet || !preview} onClick={() => void doImport()}>
            Import
          </button>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {preview && (
          <div data-testid="keti-preview">
            <p>
              <strong>{preview.rows}</strong> rows read from sheet “{preview.sheet}”; <strong>{preview.imported}</strong> pass the filters — {preview.words} words, {preview.signers} signers; videos matched{' '}
              <strong>{preview.videos.matched}</strong>, missing <strong>{preview.videos.missing}</strong>.
            </p>
            {Object.keys(preview.problemCounts).length > 0 && (
              <table>
                <thead>
                  <tr>
                    <th>Problem</th>
                    <th>Where</th>
                    <th>What</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.problems.slice(0, 100).map((p, i) => (
                    <tr key={i}>
                      <td>{p.kind}</td>
                      <td>{[p.sheet, p.row ? `row ${p.row}` : '', p.column ? `[${p.column}]` : '', p.file ?? ''].filter(Boolean).join(' ')}</td>
                      <td>{p.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )}
      </section>
      <section className="panel">
        <h2>Your own clips</h2>
        <div className="row wrap">
          {pick('Clip folder', clips, setClips, dirs, false)}
          <label className="field">
            <span>Word from</span>
            <select aria-label="word from" value={wordFrom} onChange={(e) => setWordFrom(e.target.value as 'name' | 'folder')}>
              <option value="name">file name (안녕하세요_03.mp4)</option>
              <option value="folder">folder name (병원/clip.mp4)</option>
            </select>
          </label>
          <button type="button" disabled={!clips} onClick={() => void importClips()}>
            Import clips
          </button>
        </div>
      </section>
      <div className="jobs">
        {jobs
          .filter((j) => j.kind.startsWith('import'))
          .map((j) => (
            <JobProgress key={j.jobId} job={j} onCancel={cancel} />
          ))}
      </div>
    </div>
  );
}
