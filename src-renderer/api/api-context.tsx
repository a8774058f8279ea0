import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { Api, ApiEvents, ArgsOf, EventName, RequestName, ResultOf } from '../../src-shared/api';
import type { ApiError } from '../../src-shared/result';

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}

/** Subscribes to an event stream for the component's lifetime. */
export function useApiEvent<E extends EventName>(name: E, listener: (p: ApiEvents[E]) => void): void {
  const api = useApi();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => api.on(name, (p) => ref.current(p)), [api, name]);
}

export interface Query<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
}

/** Calls a request and keeps its latest result; `reload` refetches. */
export function useQuery<K extends RequestName>(name: K, args: ArgsOf<K>, deps: unknown[] = []): Query<ResultOf<K>> {
  const api = useApi();
  const [state, setState] = useState<{ data?: ResultOf<K>; error?: ApiError; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const argsKey = JSON.stringify(args);
  const reload = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    void api.invoke(name, JSON.parse(argsKey)).then((r) => {
      if (mine !== seq.current) return;
      if (r.ok) setState({ data: r.value, loading: false });
      else setState({ error: r.error, loading: false });
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, name, argsKey, ...deps]);
  useEffect(reload, [reload]);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
