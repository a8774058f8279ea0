/**
 * The frames of the current video (or the photos) as a horizontal strip of thumbnails, virtualised: only
 * the tiles in view exist in the DOM, and they are fetched a page at a time, so a video of 10,000 frames
 * costs what a video of 10 does. The current frame is kept in view; a click opens a frame.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { EditorStripItem } from '../../src-shared/api-editor';
import type { FrameStatus } from '../../src-shared/catalog-types';
import { useApi } from '../api/api-context';
import { fileUrl } from '../api/file-url';

const TILE = 88;
const PAGE = 200;

export interface FrameStripProps {
  videoId: number | null;
  total: number;
  /** 0-based index of the current frame in the strip. */
  index: number;
  currentId: number;
  /** The current frame as the editor holds it now (its strip item may be older). */
  current: { status: FrameStatus; boxes: number };
  version: number;
  onPick(frameId: number): void;
}

export function FrameStrip({ videoId, total, index, currentId, current, version, onPick }: FrameStripProps) {
  const api = useApi();
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [scrollLeft, setScrollLeft] = useState(0);
  const [pages, setPages] = useState<Map<number, EditorStripItem[]>>(new Map());
  const loading = useRef(new Set<number>());
  const key = `${videoId}:${version}`;
  const keyRef = useRef(key);

  useEffect(() => {
    keyRef.current = key;
    loading.current.clear();
    setPages(new Map());
  }, [key]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  // Keep the current tile in view (centred when it has left the view).
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const left = index * TILE;
    if (left < el.scrollLeft || left + TILE > el.scrollLeft + el.clientWidth) {
      el.scrollLeft = Math.max(0, left - el.clientWidth / 2 + TILE / 2);
      setScrollLeft(el.scrollLeft);
    }
  }, [index, key]);

  const first = Math.max(0, Math.floor(scrollLeft / TILE) - 3);
  const last = Math.min(total - 1, Math.ceil((scrollLeft + width) / TILE) + 3);

  useEffect(() => {
    if (total === 0) return;
    for (let page = Math.floor(first / PAGE); page <= Math.floor(last / PAGE); page++) {
      if (pages.has(page) || loading.current.has(page)) continue;
      loading.current.add(page);
      const k = key;
      void api.invoke('editor.videoFrames', { videoId, offset: page * PAGE, limit: PAGE }).then((r) => {
        if (keyRef.current !== k || !r.ok) return;
        setPages((m) => new Map(m).set(page, r.value.items));
      });
    }
  }, [api, first, last, pages, total, videoId, key]);

  const tiles = [];
  for (let i = first; i <= last; i++) {
    const item = pages.get(Math.floor(i / PAGE))?.[i % PAGE];
    const isCurrent = item?.id === currentId || (!item && i === index);
    const status = isCurrent ? current.status : item?.status;
    const boxes = isCurrent ? current.boxes : (item?.boxes ?? 0);
    tiles.push(
      <button
        key={i}
        type="button"
        tabIndex={-1}
        className={`strip-tile status-${status ?? 'unknown'}${isCurrent ? ' current' : ''}`}
        style={{ transform: `translateX(${i * TILE}px)` }}
        data-testid="strip-tile"
        data-frame-id={item?.id ?? ''}
        aria-current={isCurrent ? 'true' : undefined}
        title={item ? `${item.t !== null ? `${item.t.toFixed(2)} s` : item.file} — ${status}, ${boxes} box(es)` : ''}
        onClick={(e) => {
          e.currentTarget.blur();
          if (item) onPick(item.id);
        }}
      >
        {item && <img src={fileUrl(item.file)} alt="" loading="lazy" decoding="async" draggable={false} />}
        <span className="strip-caption">
          <span>{i + 1}</span>
          {boxes > 0 && <span className="strip-boxes">{boxes}□</span>}
        </span>
      </button>,
    );
  }
  return (
    <div className="frame-strip" ref={ref} data-testid="frame-strip" onScroll={(e) => setScrollLeft(e.currentTarget.scrollLeft)}>
      <div className="frame-strip-inner" style={{ width: total * TILE }}>
        {tiles}
      </div>
    </div>
  );
}
