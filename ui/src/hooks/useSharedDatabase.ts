import { useCallback, useEffect, useRef, useState } from 'react';
import type { SharedDatabaseView } from '../generated/ipc';
import { errorMessage, onDatabaseChanged, sharedDatabase } from '../ipc';
import { stopListening } from './useChats';

export interface SharedDatabaseState {
  /** `null` until the shell first answers. */
  view: SharedDatabaseView | null;
  /** Why the view could not be loaded. */
  error: string | null;
  reload: () => void;
  /** A view a command answered with (connect, leave): newer than anything loaded before it. */
  update: (view: SharedDatabaseView) => void;
}

/**
 * This desktop's work mode and shared-database connection, kept current by `database-changed`.
 * Loaded once for the whole window: the rail's badge and the settings block show the same view.
 */
export function useSharedDatabase(): SharedDatabaseState {
  const [view, setView] = useState<SharedDatabaseView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const answer = await sharedDatabase();
      if (mine !== seq.current) return;
      setView(answer);
      setError(null);
    } catch (failure) {
      if (mine !== seq.current) return;
      setError(errorMessage(failure));
    }
  }, []);

  const update = useCallback((next: SharedDatabaseView) => {
    seq.current++; // a load still on its way must not undo this newer view
    setView(next);
    setError(null);
  }, []);

  // Subscribe first, then load, so a change between the two is never missed.
  useEffect(() => {
    let cancelled = false;
    let unlisten: (() => void) | undefined;
    onDatabaseChanged((next) => {
      if (cancelled) return;
      if (next === null) void load();
      else update(next);
    })
      .then((stop) => {
        if (cancelled) stopListening(stop);
        else unlisten = stop;
      })
      .catch((failure: unknown) => {
        console.error('[ipc] could not subscribe to database changes', failure);
      })
      .finally(() => {
        if (!cancelled) void load();
      });
    return () => {
      cancelled = true;
      seq.current++;
      if (unlisten) stopListening(unlisten);
    };
  }, [load, update]);

  const reload = useCallback(() => void load(), [load]);
  return { view, error, reload, update };
}
