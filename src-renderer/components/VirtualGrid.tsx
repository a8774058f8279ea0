/**
 * A virtualised grid: only the rows in view (plus a little overscan) exist in the DOM, so a
 * 100,000-item list scrolls as smoothly as a 100-item one. Items are fetched in pages on demand.
 */
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export interface VirtualGridProps<T> {
  total: number;
  tileWidth: number;
  tileHeight: number;
  pageSize: number;
  /** Returns the page's items; called once per page while it is needed. */
  loadPage: (page: number) => Promise<T[]>;
  render: (item: T | undefined, index: number) => ReactNode;
  resetKey: string;
}

export function VirtualGrid<T>({ total, tileWidth, tileHeight, pageSize, loadPage, render, resetKey }: VirtualGridProps<T>) {
  const ref = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 800, height: 600 });
  const [scrollTop, setScrollTop] = useState(0);
  const [pages, setPages] = useState<Map<number, T[]>>(new Map());
  const loading = useRef(new Set<number>());

  useEffect(() => {
    setPages(new Map());
    loading.current.clear();
    if (ref.current) ref.current.scrollTop = 0;
    setScrollTop(0);
  }, [resetKey]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    setSize({ width: el.clientWidth, height: el.clientHeight });
    return () => ro.disconnect();
  }, []);

  const columns = Math.max(1, Math.floor(size.width / tileWidth));
  const rows = Math.ceil(total / columns);
  const firstRow = Math.max(0, Math.floor(scrollTop / tileHeight) - 2);
  const lastRow = Math.min(rows - 1, Math.ceil((scrollTop + size.height) / tileHeight) + 2);
  const firstIndex = firstRow * columns;
  const lastIndex = Math.min(total - 1, (lastRow + 1) * columns - 1);

  useEffect(() => {
    if (total === 0) return;
    for (let page = Math.floor(firstIndex / pageSize); page <= Math.floor(lastIndex / pageSize); page++) {
      if (pages.has(page) || loading.current.has(page)) continue;
      loading.current.add(page);
      const key = resetKey;
      void loadPage(page).then((items) => {
        if (key !== resetKey) return;
        setPages((m) => new Map(m).set(page, items));
      });
    }
  }, [firstIndex, lastIndex, pageSize, pages, loadPage, total, resetKey]);

  const tiles: ReactNode[] = [];
  for (let i = firstIndex; i <= lastIndex; i++) {
    const item = pages.get(Math.floor(i / pageSize))?.[i % pageSize];
    const row = Math.floor(i / columns);
    const col = i % columns;
    tiles.push(
      <div key={i} className="vtile" style={{ transform: `translate(${col * tileWidth}px, ${row * tileHeight}px)`, width: tileWidth, height: tileHeight }}>
        {render(item, i)}
      </div>,
    );
  }
  return (
    <div className="vgrid" ref={ref} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} data-testid="frame-grid">
      <div className="vgrid-inner" style={{ height: rows * tileHeight }}>
        {tiles}
      </div>
    </div>
  );
}
