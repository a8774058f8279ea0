/**
 * The editor's side panel: the level's words (digits 1–9), the selected box's word, frame decisions (verify,
 * skip), the bulk tools (copy to the next N frames, interpolate the video), undo/redo, label QA and the
 * labelImg folder import. Every button does what a key does, or one request; none keeps anything unsaved.
 */
import { useEffect, useState, useSyncExternalStore, type MouseEvent } from 'react';
import type { LiveModelInfo } from '../../src-shared/api-live';
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

      <ProposeSection session={session} />

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

/**
 * Model-assisted labelling: pick a trained run (or a models/*.onnx), propose boxes for this frame or for the
 * rest of its video. Proposals are drawn as dashed orange "model" boxes with their score until accepted.
 */
function ProposeSection({ session }: { session: EditorSession }) {
  const view = useSessionView(session);
  const [models, setModels] = useState<LiveModelInfo[] | string | null>(null);
  const [modelId, setModelId] = useState('');
  const [threshold, setThreshold] = useState(0.6);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    session.models().then(
      (m) => {
        if (!live) return;
        setModels(m);
        setModelId((cur) => (cur && m.some((x) => x.id === cur) ? cur : (m[0]?.id ?? '')));
      },
      (e: unknown) => live && setModels((e as Error).message),
    );
    return () => {
      live = false;
    };
  }, [session]);
  const f = view.frame!;
  const proposals = [...view.records.values()].filter((b) => b.source === 'model' && !b.verified).length;
  const run = async (scope: 'frame' | 'rest') => {
    setBusy(true);
    setResult(null);
    try {
      const r = await session.propose(modelId, scope, threshold);
      if (r) setResult(`${r.boxes} box(es) on ${r.frames} frame(s)${r.skipped ? `, ${r.skipped} left alone` : ''}`);
    } catch (e) {
      setResult((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const list = Array.isArray(models) ? models : [];
  return (
    <section data-testid="propose">
      <h3>Model proposals</h3>
      {typeof models === 'string' && (
        <p className="error" role="alert">
          {models}
        </p>
      )}
      {Array.isArray(models) && list.length === 0 && <p className="muted">No model yet: train one (Train screen) or put an .onnx with its label_map.pbtxt under models/.</p>}
      {list.length > 0 && (
        <>
          <label className="field">
            Model
            <select aria-label="proposal model" value={modelId} onChange={(e) => (setModelId(e.currentTarget.value), e.currentTarget.blur())}>
              {list.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                  {m.metrics?.AP50 !== undefined ? ` · AP50 ${m.metrics.AP50.toFixed(2)}` : ''}
                </option>
              ))}
            </select>
          </label>
          <label className="row">
            <span>Min. score</span>
            <input
              type="number"
              aria-label="proposal threshold"
              min={0}
              max={1}
              step={0.05}
              value={threshold}
              onChange={(e) => setThreshold(Math.max(0, Math.min(1, Number(e.currentTarget.value) || 0)))}
            />
          </label>
          <div className="row wrap">
            <button type="button" disabled={busy || !modelId || view.records.size > 0 || f.frame.status === 'skipped'} onClick={(e) => (unfocus(e), void run('frame'))} title="only frames without boxes get proposals">
              Propose boxes
            </button>
            <button type="button" disabled={busy || !modelId || f.frame.videoId === null} onClick={(e) => (unfocus(e), void run('rest'))} title="this frame and every later frame of the video that has no boxes and is not skipped">
              … rest of video
            </button>
          </div>
        </>
      )}
      {proposals > 0 && (
        <p className="propose-hint" data-testid="propose-hint">
          {proposals} model proposal(s) on this frame: <kbd>Space</kbd> accepts them, drag to fix one, <kbd>Del</kbd> drops one.
        </p>
      )}
      {result !== null && (
        <p className="muted" data-testid="propose-result">
          {busy ? 'Running…' : result}
        </p>
      )}
    </section>
  );
}
