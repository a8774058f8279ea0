/**
 * The editor's side panel: the level's words (digits 1–9), the selected box's word, frame decisions (verify,
 * skip), the bulk tools (copy to the next N frames, interpolate the video), undo/redo, label QA and the
 * labelImg folder import. Every button does what a key does, or one request; none keeps anything unsaved.
 */
import { useState, useSyncExternalStore, type MouseEvent } from 'react';
import type { ImportVocResult, QaReport } from '../../src-shared/api-editor';
import { useSessionView, type EditorSession } from './editor-session';

/** Buttons give the keyboard back at once: a focused button would take the next Space for itself. */
const unfocus = (e: MouseEvent<HTMLElement>) => e.currentTarget.blur();

export function EditorSidePanel({ session }: { session: EditorSession }) {
  const machine = session.machine;
  const snap = useSyncExternalStore(machine.subscribe, machine.getSnapshot);
  const view = useSessionView(session);
  const [n, setN] = useState(10);
  const [qa, setQa] = useState<QaReport | string | null>(null);
  const [qaBusy, setQaBusy] = useState(false);
  const [vocDir, setVocDir] = useState('imports/voc');
  const [voc, setVoc] = useState<ImportVocResult | string | null>(null);
  const f = view.frame;
  if (!f) return <aside className="editor-side" />;
  const sel = snap.selectedId !== null ? snap.boxes.find((b) => b.id === snap.selectedId) : undefined;
  const status = f.frame.status;
  const hasBoxes = view.records.size > 0;
  const levels = [...new Set([...view.words.values()].map((w) => w.level).filter((l): l is number => l !== null))].sort((a, b) => a - b);
  const key = (k: string, m: { ctrl?: boolean; shift?: boolean } = {}) => session.handle(machine.onKeyDown(k, m));

  return (
    <aside className="editor-side" data-testid="editor-side">
      <section>
        <h3>
          Words{' '}
          <select
            aria-label="level"
            value={view.levelOverride ?? ''}
            onChange={(e) => {
              session.setLevel(e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value));
              e.currentTarget.blur();
            }}
          >
            <option value="">level of the video{f.level !== null ? ` (${f.level})` : ''}</option>
            {levels.map((l) => (
              <option key={l} value={l}>
                level {l}
              </option>
            ))}
          </select>
        </h3>
        <ol className="word-keys" data-testid="word-keys">
          {f.levelWords.slice(0, 9).map((w, i) => (
            <li key={w.id}>
              <button type="button" className={snap.activeWordId === w.id ? 'active' : ''} onClick={(e) => (unfocus(e), key(String(i + 1)))} title={w.label ?? ''}>
                <kbd>{i + 1}</kbd> <span lang="ko">{w.text}</span>
                {w.id === f.frame.videoWordId && <span className="muted"> · video</span>}
              </button>
            </li>
          ))}
        </ol>
        {sel && (
          <label className="field">
            Word of the selected box
            <select
              aria-label="word of the selected box"
              value={sel.wordId ?? ''}
              onChange={(e) => {
                const v = e.currentTarget.value;
                session.setBoxWord(sel.id, v === '' ? null : Number(v), sel.wordId);
                e.currentTarget.blur();
              }}
            >
              <option value="">(no word)</option>
              {[...view.words.values()].map((w) => (
                <option key={w.id} value={w.id}>
                  {w.text}
                  {w.level !== null ? ` (level ${w.level})` : ''}
                </option>
              ))}
            </select>
          </label>
        )}
      </section>

      <section className="editor-actions">
        <h3>Frame</h3>
        <div className="row wrap">
          <button type="button" onClick={(e) => (unfocus(e), key('w'))} className={snap.tool === 'draw' ? 'active' : ''}>
            Draw box (W)
          </button>
          {status === 'verified' ? (
            <button type="button" onClick={(e) => (unfocus(e), session.setStatus(hasBoxes ? 'labelled' : 'unlabelled'))}>
              Reopen (unverify)
            </button>
          ) : (
            <button type="button" className="primary" onClick={(e) => (unfocus(e), key(' '))}>
              Verify (Space)
            </button>
          )}
          {status === 'skipped' ? (
            <button type="button" onClick={(e) => (unfocus(e), session.setStatus(hasBoxes ? 'labelled' : 'unlabelled'))}>
              Unskip
            </button>
          ) : (
            <button type="button" onClick={(e) => (unfocus(e), session.setStatus('skipped'))} title="no sign in this frame: a background example">
              Skip frame (no sign)
            </button>
          )}
          <button type="button" onClick={(e) => (unfocus(e), key('v', { ctrl: true }))}>
            Copy previous (Ctrl+V)
          </button>
        </div>
        <div className="row">
          <button type="button" onClick={(e) => (unfocus(e), session.copyToNext(n))} disabled={!hasBoxes || f.frame.videoId === null}>
            Copy to next
          </button>
          <input
            type="number"
            aria-label="frames to copy to"
            min={1}
            max={10000}
            value={n}
            onChange={(e) => setN(Math.max(1, Math.min(10000, Math.round(Number(e.currentTarget.value)) || 1)))}
          />
          <span className="muted">frames</span>
        </div>
        <div className="row">
          <button type="button" onClick={(e) => (unfocus(e), session.interpolateVideo())} disabled={f.frame.videoId === null} title="fill the frames between keyframes (frames with a manual or verified box)">
            Interpolate video
          </button>
        </div>
        <div className="row">
          <button type="button" onClick={(e) => (unfocus(e), key('z', { ctrl: true }))} disabled={!view.undoLabel} title="Ctrl+Z">
            Undo{view.undoLabel ? ` ${view.undoLabel}` : ''}
          </button>
          <button type="button" onClick={(e) => (unfocus(e), key('z', { ctrl: true, shift: true }))} disabled={!view.redoLabel} title="Ctrl+Shift+Z">
            Redo{view.redoLabel ? ` ${view.redoLabel}` : ''}
          </button>
        </div>
        <button type="button" onClick={(e) => (unfocus(e), key('?'))}>
          Shortcuts (?)
        </button>
      </section>

      <section>
        <h3>Label checks</h3>
        <button
          type="button"
          disabled={qaBusy}
          onClick={async (e) => {
            unfocus(e);
            setQaBusy(true);
            try {
              setQa(await session.qa(view.levelOverride ?? f.level ?? undefined));
            } catch (err) {
              setQa((err as Error).message);
            } finally {
              setQaBusy(false);
            }
          }}
        >
          Run QA{view.levelOverride ?? f.level ? ` (level ${view.levelOverride ?? f.level})` : ''}
        </button>
        {typeof qa === 'string' && (
          <p className="error" role="alert">
            {qa}
          </p>
        )}
        {qa && typeof qa !== 'string' && (
          <div className="qa" data-testid="qa-report">
            <ul className="qa-counts">
              {Object.entries(qa.counts).map(([k, c]) => (
                <li key={k} className={c ? 'warn' : 'muted'}>
                  {k}: {c}
                </li>
              ))}
            </ul>
            <ul className="qa-findings">
              {qa.findings.slice(0, 50).map((x, i) => (
                <li key={i}>
                  {x.frameId !== undefined ? (
                    <button type="button" className="link" onClick={(e) => (unfocus(e), void session.go(x.frameId!))} title={x.message}>
                      {x.message}
                    </button>
                  ) : (
                    x.message
                  )}
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>

      <section>
        <h3>Import labelImg folder</h3>
        <div className="row">
          <input type="text" aria-label="labelImg folder inside the project" value={vocDir} onChange={(e) => setVocDir(e.currentTarget.value)} />
          <button
            type="button"
            onClick={async (e) => {
              unfocus(e);
              try {
                setVoc(await session.importVoc(vocDir.trim()));
              } catch (err) {
                setVoc((err as Error).message);
              }
            }}
          >
            Import
          </button>
        </div>
        {voc !== null && (
          <p className={typeof voc === 'string' ? 'error' : 'muted'} data-testid="voc-result">
            {typeof voc === 'string' ? voc : `${voc.images} images, ${voc.boxes} boxes${voc.problems.length ? `, ${voc.problems.length} problems (first: ${voc.problems[0]!.message})` : ''}`}
          </p>
        )}
      </section>
    </aside>
  );
}
