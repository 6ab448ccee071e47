import { useEffect, useState } from 'react';
import type { ThemePreference } from '../state/store';
import { assertNever } from '../util/assert-never';

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

/** Light → dark → system → light: one button cycles through all three. */
export function nextTheme(pref: ThemePreference): ThemePreference {
  switch (pref) {
    case 'light':
      return 'dark';
    case 'dark':
      return 'system';
    case 'system':
      return 'light';
    default:
      return assertNever(pref);
  }
}

const STORAGE_KEY = 'netmon.theme';

export function loadThemePreference(storage: Storage | null): ThemePreference {
  const v = storage?.getItem(STORAGE_KEY);
  return v === 'light' || v === 'dark' || v === 'system' ? v : 'system';
}

export function saveThemePreference(storage: Storage | null, pref: ThemePreference): void {
  storage?.setItem(STORAGE_KEY, pref);
}
