/** Frames browser: every extracted frame as a thumbnail, filtered by word, level, signer, status. */
import { useCallback, useState } from 'react';
import type { FrameItem, FrameStatus } from '../../src-shared/catalog-types';
import { FRAME_STATUSES } from '../../src-shared/catalog-types';
import { useApi, useApiEvent, useQuery } from '../api/api-context';
import { fileUrl } from '../api/file-url';
import { VirtualGrid } from '../components/VirtualGrid';

const PAGE = 200;

export function FramesScreen() {
  const api = useApi();
  const info = useQuery('project.info', {});
  const [filter, setFilter] = useState<{ wordId?: number; level?: number; signerId?: number; status?: FrameStatus }>({});
  const [version, setVersion] = useState(0);
  const first = useQuery('frames.list', { ...filter, offset: 0, limit: 1 }, [version]);
  useApiEvent('catalog.changed', (e) => {
    if (e.tables.includes('frames') || e.tables.includes('*')) {
      setVersion((v) => v + 1);
      info.reload();
    }
  });
  const resetKey = JSON.stringify(filter) + ':' + version;
  const loadPage = useCallback(
    async (page: number) => {
      const r = await api.invoke('frames.list', { ...filter, offset: page * PAGE, limit: PAGE });
      return r.ok ? r.value.items : [];
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, resetKey],
  );
  const p = info.data;
  const levels = p?.levels ? Object.keys(p.levels).filter((l) => l !== 'none') : [];
  const num = (v: string) => (v === '' ? undefined : Number(v));
  const total = first.data?.total ?? 0;
  return (
    <div className="frames-screen">
      <div className="filters panel row">
        <label>
          Word{' '}
          <select aria-label="word" value={filter.wordId ?? ''} onChange={(e) => setFilter({ ...filter, wordId: num(e.target.value) })}>
            <option value="">all</option>
            {p?.words.map((w) => (
              <option key={w.id} value={w.id}>
                {w.text}
              </option>
            ))}
          </select>
        </label>
        <label>
          Level{' '}
          <select aria-label="level" value={filter.level ?? ''} onChange={(e) => setFilter({ ...filter, level: num(e.target.value) })}>
            <option value="">all</option>
            {levels.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Signer{' '}
          <select aria-label="signer" value={filter.signerId ?? ''} onChange={(e) => setFilter({ ...filter, signerId: num(e.target.value) })}>
            <option value="">all</option>
            {p?.signers.map((s) => (
              <option key={s.id} value={s.id}>
                #{s.code}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select aria-label="status" value={filter.status ?? ''} onChange={(e) => setFilter({ ...filter, status: (e.target.value || undefined) as FrameStatus | undefined })}>
            <option value="">all</option>
            {FRAME_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <span className="grow" />
        <span className="muted" data-testid="frame-total">
          {total.toLocaleString()} frames
        </span>
      </div>
      {total === 0 && !first.loading ? (
        <p className="muted panel">No frames match. Extract frames from the Project screen, or change the filters.</p>
      ) : (
        <VirtualGrid<FrameItem>
          total={total}
          tileWidth={176}
          tileHeight={150}
          pageSize={PAGE}
          loadPage={loadPage}
          resetKey={resetKey}
          render={(f) =>
            f ? (
              <figure className={`thumb status-${f.status}`} data-testid="frame-tile" data-frame-id={f.id}>
                <img src={fileUrl(f.file)} alt={`${f.word ?? ''} ${f.t?.toFixed(2) ?? ''}s`} loading="lazy" decoding="async" />
                <figcaption>
                  <span lang="ko">{f.word ?? '—'}</span>
                  <span className="muted">{f.signer ? `#${f.signer}` : ''}</span>
                  <span className="muted">{f.t !== null ? `${f.t.toFixed(2)}s` : ''}</span>
                  {f.boxes > 0 && <span className="badge">{f.boxes}□</span>}
                </figcaption>
              </figure>
            ) : (
              <div className="thumb placeholder" />
            )
          }
        />
      )}
    </div>
  );
}
