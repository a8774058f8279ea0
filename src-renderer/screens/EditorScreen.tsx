/**
 * The box editor (labelImg's job, keyboard first): the image with its boxes, the frame strip of the video,
 * the status bar and the side panel. Keys go to the machine (editor-machine.ts), whose commands the session
 * (editor-session.tsx) turns into requests — one per edit, one transaction each, no Save button.
 */
import { useEffect, useSyncExternalStore } from 'react';
import { useApi } from '../api/api-context';
import { EditorCanvas } from '../editor/EditorCanvas';
import { EditorSidePanel } from '../editor/EditorSidePanel';
import { EditorStatusBar } from '../editor/EditorStatusBar';
import { FrameStrip } from '../editor/FrameStrip';
import { ShortcutHelp } from '../editor/ShortcutHelp';
import { useEditorSession, useSessionView, type EditorSession } from '../editor/editor-session';
import '../editor/editor.css';

/** Keys whose browser default (scrolling, bookmarking, the save dialog…) must not happen in the editor. */
function ownsDefault(e: KeyboardEvent): boolean {
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.ctrlKey || e.metaKey) return ['z', 'y', 'd', 'v', 's', '=', '+', '-', '_', '0'].includes(k);
  return [' ', 'Spacebar', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Delete', 'Backspace', '?', 'Escape'].includes(k);
}

function isTyping(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  if (t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return true;
  return t instanceof HTMLInputElement && !['checkbox', 'radio', 'button'].includes(t.type);
}

function useEditorKeys(session: EditorSession): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.isComposing || e.altKey) return;
      if (isTyping(e.target)) {
        if (e.key === 'Escape') (e.target as HTMLElement).blur();
        return;
      }
      if (ownsDefault(e)) e.preventDefault();
      const cmds = session.machine.onKeyDown(e.key, { shift: e.shiftKey, ctrl: e.ctrlKey, meta: e.metaKey });
      session.handle(cmds);
    };
    // Capture phase: a focused button must not take Space (verify) for a click of its own.
    window.addEventListener('keydown', onKey, { capture: true });
    const onBlur = () => session.handle(session.machine.onCancel());
    window.addEventListener('blur', onBlur);
    return () => {
      window.removeEventListener('keydown', onKey, { capture: true });
      window.removeEventListener('blur', onBlur);
    };
  }, [session]);
}

export function EditorScreen() {
  const api = useApi();
  const session = useEditorSession(api);
  const view = useSessionView(session);
  const snap = useSyncExternalStore(session.machine.subscribe, session.machine.getSnapshot);
  useEditorKeys(session);
  const f = view.frame;

  if (!f) {
    return (
      <div className="editor-screen empty panel" data-testid="editor-empty">
        {view.loading ? (
          <p className="muted">Loading…</p>
        ) : view.error ? (
          <p className="error" role="alert">
            {view.error}
          </p>
        ) : (
          <p className="muted">No frames to label yet. Extract frames from the Project screen, or import a labelImg folder.</p>
        )}
      </div>
    );
  }
  return (
    <div className="editor-screen" data-testid="editor">
      <div className="editor-main">
        <div className="editor-top row">
          <strong className="path" title={f.frame.file}>
            {f.frame.file}
          </strong>
          {f.videoWord && (
            <span lang="ko" className="editor-word">
              {f.videoWord.text}
              {f.videoWord.level !== null ? <span className="muted"> · level {f.videoWord.level}</span> : null}
            </span>
          )}
          <span className="grow" />
          {view.error && (
            <span className="error" role="alert" data-testid="editor-error">
              {view.error}
            </span>
          )}
          {!view.error && view.notice && (
            <span className="muted" role="status" data-testid="editor-notice">
              {view.notice}
            </span>
          )}
          <button type="button" onClick={(e) => (e.currentTarget.blur(), void session.go(f.prevId, { measure: true }))} disabled={f.prevId === null}>
            ◀ A
          </button>
          <button type="button" onClick={(e) => (e.currentTarget.blur(), void session.go(f.nextId, { measure: true }))} disabled={f.nextId === null}>
            D ▶
          </button>
        </div>
        <EditorCanvas session={session} />
        <FrameStrip
          videoId={f.frame.videoId}
          total={f.position.count}
          index={f.position.index - 1}
          currentId={f.frame.id}
          current={{ status: f.frame.status, boxes: view.records.size }}
          version={view.stripVersion}
          onPick={(id) => void session.go(id, { measure: true })}
        />
        <EditorStatusBar session={session} />
      </div>
      <EditorSidePanel session={session} />
      {snap.helpOpen && <ShortcutHelp onClose={() => session.handle(session.machine.onKeyDown('?'))} />}
    </div>
  );
}
