import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { toApiError, type ApiError } from './api';

export interface RequestState<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  /** Runs the request again, keeping the current data on screen until the answer comes. */
  reload: () => void;
}

/**
 * Runs `load` whenever `key` changes (null: nothing to load) and aborts the request it replaces,
 * so a slow answer to an old query never overwrites a newer one.
 */
export function useRequest<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): RequestState<T> {
  const [state, setState] = useState<Omit<RequestState<T>, 'reload'>>({
    data: null,
    error: null,
    loading: key !== null,
  });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const shownKey = useRef<string | null>(null);

  useEffect(() => {
    if (key === null) {
      shownKey.current = null;
      setState({ data: null, error: null, loading: false });
      return;
    }
    const controller = new AbortController();
    // A new key shows no stale answer; a reload of the same key keeps it while it refreshes.
    const sameKey = shownKey.current === key;
    shownKey.current = key;
    setState((previous) => ({
      data: sameKey ? previous.data : null,
      error: sameKey ? previous.error : null,
      loading: true,
    }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        const failure = toApiError(error);
        if (failure && !controller.signal.aborted)
          setState((previous) => ({ data: previous.data, error: failure, loading: false }));
      },
    );
    return () => controller.abort();
  }, [key, generation]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { ...state, reload };
}

/** Calls `tick` every `ms` while `active`; stops when the page goes away. */
export function useInterval(tick: () => void, ms: number, active: boolean): void {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => tickRef.current(), ms);
    return () => clearInterval(timer);
  }, [ms, active]);
}
