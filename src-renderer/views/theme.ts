import { useEffect, useState } from 'react';
import type { ThemePreference } from '../state/store';

const QUERY = '(prefers-color-scheme: dark)';

/** The OS preference, live: switching the desktop to dark mode switches the dashboard too. */
export function useSystemDark(): boolean {
  const [dark, setDark] = useState(() => window.matchMedia?.(QUERY).matches ?? false);
  useEffect(() => {
    const mq = window.matchMedia?.(QUERY);
    if (!mq) return;
    const onChange = (e: MediaQueryListEvent): void => setDark(e.matches);
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, []);
  return dark;
}

export function resolveTheme(pref: ThemePreference, systemDark: boolean): 'light' | 'dark' {
  return pref === 'system' ? (systemDark ? 'dark' : 'light') : pref;
}

const STORAGE_KEY = 'netmon.theme';

export function loadThemePreference(storage: Storage | null): ThemePreference {
  const v = storage?.getItem(STORAGE_KEY);
  return v === 'light' || v === 'dark' || v === 'system' ? v : 'system';
}

export function saveThemePreference(storage: Storage | null, pref: ThemePreference): void {
  storage?.setItem(STORAGE_KEY, pref);
}
