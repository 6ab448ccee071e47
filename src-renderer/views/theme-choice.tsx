import { useId } from 'react';
import type { ThemePreference } from '../state/store';
import { useAppShallow } from './app-context';
import { resolveTheme, saveThemePreference, useSystemDark } from './theme';

const THEMES: ReadonlyArray<{ value: ThemePreference; label: string; icon: string }> = [
  { value: 'light', label: 'Light', icon: '☀' },
  { value: 'dark', label: 'Dark', icon: '☾' },
  { value: 'system', label: 'System', icon: '◐' },
];

/** Light, dark or the system's: the three choices are always there, whichever theme shows. Kept in this browser. */
export function ThemeChoice() {
  const { theme, setTheme } = useAppShallow((s) => ({ theme: s.theme, setTheme: s.setTheme }));
  const resolved = resolveTheme(theme, useSystemDark());
  const captionId = useId();
  const choose = (next: ThemePreference): void => {
    setTheme(next);
    saveThemePreference(window.localStorage ?? null, next);
  };
  return (
    <div className="theme">
      <span className="theme-caption" id={captionId}>
        Theme: {theme === 'system' ? `system (${resolved})` : theme}
      </span>
      <div className="theme-choice" role="radiogroup" aria-labelledby={captionId}>
        {THEMES.map((t) => (
          <button
            key={t.value}
            type="button"
            role="radio"
            aria-checked={theme === t.value}
            aria-label={t.label}
            title={t.value === 'system' ? 'Follow the theme of the system' : `${t.label} theme`}
            onClick={() => choose(t.value)}
          >
            <span aria-hidden>{t.icon}</span>
          </button>
        ))}
      </div>
    </div>
  );
}
