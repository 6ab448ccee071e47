import type { AlertEvent } from '../../api/types/alerts';

// Events reach the dashboard and the channels unchanged, so their shape is the API's, declared once there.
export type { AlertEvent, TalkerFlow, TalkerHost } from '../../api/types/alerts';

export type AlertEventKind = AlertEvent['kind'];

/** What the engine emits; the store gives it an id once kept. */
export type AlertEventDraft = Omit<AlertEvent, 'id'>;
