import { useCallback, useEffect, useState } from 'react';
import type { WindowQuery, WindowState } from '../state/flow-window';
import { FlowWindowLoader } from '../state/flow-window';
import type { Controller } from '../state/controller';

/** The window of a flow list the Flows view shows (state/flow-window.ts), and where to say which rows are in view. */
export function useFlowWindow(
  controller: Controller,
  query: WindowQuery,
  unfiltered: WindowQuery | null,
  revision: number,
  /** False until the list's capture is known: nothing is asked before. */
  enabled: boolean,
): WindowState & { setVisible: (first: number, last: number) => void } {
  const [state, setState] = useState<WindowState>({ window: null, unfilteredTotal: null, error: null });
  const [loader] = useState(() => new FlowWindowLoader((q) => controller.queryFlows(q), setState));
  useEffect(() => {
    if (enabled) loader.setQuery(query, unfiltered, revision);
  }, [loader, query, unfiltered, revision, enabled]);
  const setVisible = useCallback((first: number, last: number) => loader.setVisible(first, last), [loader]);
  return { ...state, setVisible };
}
