/**
 * The line under the image: which frame, its status, where its boxes came from (manual, copied,
 * interpolated, model…), the selected box's word, source, truncation and difficult flag (toggled here),
 * and whether every edit has reached the catalog.
 */
import { useSyncExternalStore } from 'react';
import { truncated } from '../../src-shared/geometry/boxes';
import { useSessionView, type EditorSession } from './editor-session';

export function EditorStatusBar({ session }: { session: EditorSession }) {
  const snap = useSyncExternalStore(session.machine.subscribe, session.machine.getSnapshot);
  const view = useSessionView(session);
  const f = view.frame;
  if (!f) return <div className="editor-status" data-testid="editor-status" />;
  const records = [...view.records.values()];
  const sources = new Map<string, number>();
  for (const r of records) sources.set(r.source, (sources.get(r.source) ?? 0) + 1);
  const sel = snap.selectedId !== null ? snap.boxes.find((b) => b.id === snap.selectedId) : undefined;
  const selRec = sel ? view.records.get(sel.id) : undefined;
  const word = (id: number | null) => (id === null ? '(no word)' : (view.words.get(id)?.text ?? `#${id}`));
  const active = snap.activeWordId;
  return (
    <div className="editor-status" data-testid="editor-status">
      <span data-testid="frame-position">
        {f.video ? `video ${f.video.number ?? f.video.id}${f.video.signer ? ` · signer #${f.video.signer}` : ''} · ` : 'photo · '}
        frame {f.position.index}/{f.position.count}
        {f.frame.t !== null ? ` · ${f.frame.t.toFixed(2)} s` : ''}
      </span>
      <span className={`status-chip status-${f.frame.status}`} data-testid="frame-status">
        {f.frame.status}
      </span>
      <span data-testid="box-sources" title="where this frame's boxes came from">
        {records.length === 0 ? 'no boxes' : [...sources].map(([s, n]) => `${n} ${s}`).join(', ')}
      </span>
      {sel ? (
        <span className="row" data-testid="selected-box">
          <span lang="ko">□ {word(sel.wordId)}</span>
          <span className="muted">
            {selRec?.source ?? 'unsaved'}
            {selRec?.verified ? ' · verified' : ''}
            {truncated(sel, snap.image.width, snap.image.height) ? ' · truncated' : ''}
            {` · ${Math.round(sel.w)}×${Math.round(sel.h)} px`}
          </span>
          <label className="row">
            <input
              type="checkbox"
              aria-label="difficult"
              checked={!!selRec?.difficult}
              disabled={!selRec}
              onChange={(e) => {
                session.setDifficult(sel.id, e.currentTarget.checked);
                e.currentTarget.blur();
              }}
            />
            difficult
          </label>
        </span>
      ) : (
        <span className="muted">no box selected</span>
      )}
      <span className="grow" />
      <span className="muted" data-testid="tool">
        {snap.tool === 'draw' ? 'draw' : 'select'} · new boxes: <span lang="ko">{active === null ? '(no word)' : word(active)}</span>
      </span>
      <span className="muted">{Math.round(snap.view.scale * 100)}%</span>
      <span className={view.pending ? 'warn' : 'ok-text'} data-testid="save-state" data-pending={view.pending}>
        {view.pending ? `saving ${view.pending}…` : 'saved'}
      </span>
    </div>
  );
}
