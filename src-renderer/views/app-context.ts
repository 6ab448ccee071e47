import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { Controller } from '../state/controller';
import type { AppState, AppStore } from '../state/store';

export interface AppServices {
  store: AppStore;
  controller: Controller;
}

export const AppContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const s = useContext(AppContext);
  if (!s) throw new Error('AppContext is missing: render views inside <AppContext.Provider>');
  return s;
}

/** A narrow selector: the component re-renders only when the selected value changes. */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useServices().store, selector);
}

/** Several fields at once, compared shallowly, so a new object literal per call does not re-render every tick. */
export function useAppShallow<T extends object>(selector: (s: AppState) => T): T {
  return useStore(useServices().store, useShallow(selector));
}

export function useController(): Controller {
  return useServices().controller;
}
