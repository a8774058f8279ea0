/**
 * The image with its boxes: an <img> placed by the machine's view transform, and an SVG overlay in screen
 * pixels (so lines and handles keep their width at any zoom) with the boxes, their word labels, the
 * selected box's handles, the box being drawn and, in draw mode, a crosshair. Pointer and wheel events are
 * converted to image pixels and handed to the machine; its commands go to the session.
 */
import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore, type PointerEvent as ReactPointerEvent } from 'react';
import type { EditorBoxRecord } from '../../src-shared/api-editor';
import { truncated, type Point } from '../../src-shared/geometry/boxes';
import { HANDLES, imageToScreen, screenToImage, type EditorBox, type Handle, type Modifiers } from './editor-machine';
import { useSessionView, type EditorSession } from './editor-session';

const HANDLE_PX = 8;

function handleCentre(b: { x: number; y: number; w: number; h: number }, h: Handle): Point {
  return {
    x: h.includes('w') ? b.x : h.includes('e') ? b.x + b.w : b.x + b.w / 2,
    y: h.includes('n') ? b.y : h.includes('s') ? b.y + b.h : b.y + b.h / 2,
  };
}

const mods = (e: { shiftKey: boolean; ctrlKey: boolean; altKey: boolean; metaKey: boolean }): Modifiers => ({ shift: e.shiftKey, ctrl: e.ctrlKey, alt: e.altKey, meta: e.metaKey });

export function EditorCanvas({ session }: { session: EditorSession }) {
  const machine = session.machine;
  const snap = useSyncExternalStore(machine.subscribe, machine.getSnapshot);
  const view = useSessionView(session);
  const stage = useRef<HTMLDivElement>(null);
  const holder = useRef<HTMLDivElement>(null);
  const [pointer, setPointer] = useState<Point | null>(null);
  const [loaded, setLoaded] = useState<string | null>(null);
  const frame = view.frame?.frame ?? null;

  useLayoutEffect(() => {
    const el = stage.current;
    if (!el) return;
    const ro = new ResizeObserver(() => session.setViewport(el.clientWidth, el.clientHeight));
    ro.observe(el);
    session.setViewport(el.clientWidth, el.clientHeight);
    return () => ro.disconnect();
  }, [session]);

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const el = stage.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      const p = screenToImage(machine.getSnapshot().view, { x: e.clientX - r.left, y: e.clientY - r.top });
      session.handle(machine.onWheel(p, e.deltaY, mods(e)));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [machine, session]);

  // The image element comes from the session (decoded ahead when the frame was prefetched): put it in place,
  // and note when it is decoded.
  const image = view.image;
  useLayoutEffect(() => {
    const el = holder.current;
    if (!el || !image || !frame) return;
    if (el.firstChild !== image) el.replaceChildren(image);
    image.width = frame.width;
    image.height = frame.height;
    image.dataset.testid = 'editor-image';
    const file = image.dataset.file ?? '';
    let live = true;
    const ready = () => {
      if (!live) return;
      if (image.naturalWidth === 0) {
        setLoaded(file); // a missing file: show the boxes anyway (the QA lists such frames)
        return;
      }
      image
        .decode()
        .catch(() => {})
        .then(() => live && setLoaded(file));
    };
    if (image.complete) ready();
    else {
      image.addEventListener('load', ready, { once: true });
      image.addEventListener('error', ready, { once: true });
    }
    return () => {
      live = false;
      image.removeEventListener('load', ready);
      image.removeEventListener('error', ready);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a new status or box list is not a new picture
  }, [image, frame?.file, frame?.width, frame?.height]);

  // The frame is "shown" once its image is decoded and this render (with its boxes) is committed.
  useEffect(() => {
    if (frame && loaded === frame.file) session.frameShown(frame.id);
  }, [frame, loaded, session]);

  const toScreen = (e: { clientX: number; clientY: number }): Point => {
    const r = stage.current!.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const toImage = (e: { clientX: number; clientY: number }): Point => screenToImage(machine.getSnapshot().view, toScreen(e));

  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    if (e.button === 2) return;
    if (e.button === 1) e.preventDefault(); // no autoscroll: the middle button pans
    // Keys belong to the editor again once the image is touched (e.g. after typing in "copy to next N").
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    e.currentTarget.setPointerCapture(e.pointerId);
    session.handle(machine.onPointerDown(toImage(e), mods(e), e.button));
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>) => {
    setPointer(toScreen(e));
    session.handle(machine.onPointerMove(toImage(e), mods(e)));
  };
  const onPointerUp = (e: ReactPointerEvent<HTMLDivElement>) => {
    session.handle(machine.onPointerUp(toImage(e), mods(e)));
    session.afterInput();
  };
  const onCancel = () => {
    session.handle(machine.onCancel());
    session.afterInput();
  };

  const v = snap.view;
  const words = view.words;
  const wordText = (id: number | null) => (id === null ? '(no word)' : (words.get(id)?.text ?? view.frame?.levelWords.find((w) => w.id === id)?.text ?? `#${id}`));
  const crosshair = (snap.tool === 'draw' || snap.state === 'drawing') && pointer;
  const imgPoint = pointer ? screenToImage(v, pointer) : null;

  return (
    <div
      ref={stage}
      className="editor-stage"
      data-testid="editor-stage"
      data-frame-id={frame?.id ?? ''}
      data-image-ready={frame && loaded === frame.file ? 'true' : 'false'}
      data-state={snap.state}
      data-tool={snap.tool}
      style={{ cursor: snap.cursor }}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onCancel}
      onLostPointerCapture={onCancel}
      onPointerLeave={() => setPointer(null)}
      onContextMenu={(e) => e.preventDefault()}
      onAuxClick={(e) => e.preventDefault()}
    >
      {frame && (
        <div
          ref={holder}
          className={`editor-image${v.scale >= 3 ? ' pixelated' : ''}`}
          style={{ width: frame.width, height: frame.height, transform: `translate(${v.offsetX}px, ${v.offsetY}px) scale(${v.scale})` }}
        />
      )}
      <svg className="editor-overlay" width="100%" height="100%" aria-label="boxes">
        {snap.boxes.map((b) => (
          <BoxShape
            key={b.id}
            box={b}
            rec={view.records.get(b.id)}
            label={wordText(b.wordId)}
            selected={b.id === snap.selectedId}
            hovered={snap.hover?.id === b.id}
            view={v}
            image={snap.image}
          />
        ))}
        {snap.draft && <rect className="draft" {...screenRect(v, snap.draft)} />}
        {crosshair && (
          <g className="crosshair" pointerEvents="none">
            <line x1={0} x2="100%" y1={pointer.y} y2={pointer.y} />
            <line y1={0} y2="100%" x1={pointer.x} x2={pointer.x} />
            {imgPoint && (
              <text x={pointer.x + 10} y={pointer.y - 8} className="coords">
                {Math.round(imgPoint.x)}, {Math.round(imgPoint.y)}
              </text>
            )}
          </g>
        )}
      </svg>
      {view.loading && !frame && <p className="editor-placeholder muted">Loading…</p>}
    </div>
  );
}

function screenRect(v: { scale: number; offsetX: number; offsetY: number }, b: { x: number; y: number; w: number; h: number }) {
  const p = imageToScreen(v, b);
  return { x: p.x, y: p.y, width: b.w * v.scale, height: b.h * v.scale };
}

function BoxShape(props: {
  box: EditorBox;
  rec: EditorBoxRecord | undefined;
  label: string;
  selected: boolean;
  hovered: boolean;
  view: { scale: number; offsetX: number; offsetY: number };
  image: { width: number; height: number };
}) {
  const { box, rec, label, selected, hovered, view } = props;
  const r = screenRect(view, box);
  const source = rec?.source ?? 'manual';
  const cls = ['box', `src-${source}`, selected ? 'selected' : '', hovered ? 'hovered' : '', rec && !rec.verified && source !== 'manual' ? 'unverified' : '', rec?.difficult ? 'difficult' : '']
    .filter(Boolean)
    .join(' ');
  const tags = [source === 'model' && rec?.score !== null && rec?.score !== undefined ? `model ${rec.score.toFixed(2)}${rec.verified ? '' : ' ?'}` : source !== 'manual' ? source : '', rec?.difficult ? 'difficult' : '', truncated(box, props.image.width, props.image.height) ? 'truncated' : ''].filter(Boolean);
  return (
    <g className={cls} data-testid="box" data-box-id={box.id} data-word-id={box.wordId ?? ''} data-source={source} data-rect={`${box.x},${box.y},${box.w},${box.h}`}>
      <rect x={r.x} y={r.y} width={r.width} height={r.height} />
      <text x={r.x + 2} y={Math.max(12, r.y - 5)} className="box-label" lang="ko">
        {label}
        {tags.length > 0 && <tspan className="box-tags"> · {tags.join(' · ')}</tspan>}
      </text>
      {(selected || hovered) &&
        HANDLES.map((h) => {
          const c = imageToScreen(view, handleCentre(box, h));
          return <rect key={h} className={`handle${selected ? '' : ' faint'}`} data-handle={h} x={c.x - HANDLE_PX / 2} y={c.y - HANDLE_PX / 2} width={HANDLE_PX} height={HANDLE_PX} />;
        })}
    </g>
  );
}
