/** Settings, their updates and where they are kept (plain JSON data: see traffic.ts). */

import type { Settings } from '../../../src-shared/settings-schema';

// The settings are inferred from their schema (src-shared/settings-schema.ts), which documents each one.
export type { LogLevel, Settings } from '../../../src-shared/settings-schema';

/** A partial update: every given leaf is validated, and nothing is applied unless all are valid. */
export type SettingsPatch = { [S in keyof Settings]?: Partial<Settings[S]> };

/** Where a settings change goes, and which settings the dashboard cannot change (with why). */
export interface SettingsInfo {
  /** The settings file changes are written to; null: changes last until the process stops (serve without --config). */
  file: string | null;
  /** Settings (`section.key`) set only in the settings file, the environment or a flag: they name files or how serve is reached. */
  fileOnly: string[];
  /** Settings (`section.key`) the environment or a command-line flag set for this run. */
  overridden: string[];
}
