import { useEffect, useState } from 'react';
import { formatCount } from '../format/units';
import { formatLocalDateTime } from '../format/time';
import type { CaptureSession } from '../transport/api-types';
import { useController } from './app-context';

const KIND_WORDS: Record<CaptureSession['kind'], string> = { live: 'Live', replay: 'File', demo: 'Demo', unknown: 'Capture' };

/** A session in one line: what it read, when, how many flows it logged, and whether it was cut short. */
export function sessionLabel(s: CaptureSession): string {
  const source = s.source === '' ? '' : ` ${s.source.split(/[\\/]/).pop()}`;
  const cut = s.error === null ? '' : ' · interrupted';
  return `${KIND_WORDS[s.kind]}${source} · ${formatLocalDateTime(s.startedAtMs)} · ${formatCount(s.finishedFlows)} flows${cut}`;
}

/** The capture sessions of the history other than the current one, listed again when `refresh` changes. */
export function useEarlierSessions(current: string | null, refresh = 0): CaptureSession[] {
  const controller = useController();
  const [sessions, setSessions] = useState<CaptureSession[]>([]);
  useEffect(() => {
    let live = true;
    void controller.listSessions().then((list) => {
      if (live && list !== null) setSessions(list);
    });
    return () => {
      live = false;
    };
  }, [controller, current, refresh]);
  return sessions.filter((s) => s.id !== current);
}

/** Picks which capture session the Flows table shows: the current capture, or an earlier one from the history. */
export function SessionPicker({ current, value, onChange }: { current: string | null; value: string | null; onChange: (s: CaptureSession | null) => void }) {
  const [refresh, setRefresh] = useState(0);
  const earlier = useEarlierSessions(current, refresh);
  return (
    <label className="session-picker">
      <span>Capture</span>
      <select
        value={value ?? ''}
        onFocus={() => setRefresh((n) => n + 1)}
        onChange={(e) => onChange(earlier.find((s) => s.id === e.target.value) ?? null)}
        title="The flows of the current capture, or of an earlier capture session kept in the history"
      >
        <option value="">Current capture</option>
        {earlier.map((s) => (
          <option key={s.id} value={s.id}>
            {sessionLabel(s)}
          </option>
        ))}
      </select>
    </label>
  );
}
