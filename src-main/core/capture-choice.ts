import type { Logger } from './log';
import type { NetmonCore } from './netmon-core';

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A live capture that runs is the person's choice of interfaces: it goes into the settings
 * (`capture.interfaces`, written to the settings file like any settings change) so the next
 * start resumes it. An interface given by a flag or the environment is that run's, not remembered.
 */
export function rememberChosenInterfaces(core: NetmonCore, log: Logger): () => void {
  return core.on('capture.status', (status) => {
    if (status.state !== 'running' || status.source?.kind !== 'live') return;
    const chosen = status.source.interfaces;
    if (sameList(chosen, core.settings.capture.interfaces)) return;
    void core.request('settings.set', { capture: { interfaces: chosen } }).then((saved) => {
      if (saved.ok) log.info({ interfaces: chosen }, 'capture interfaces remembered for the next start');
      else log.debug({ reason: saved.error.message }, 'capture interfaces not remembered');
    });
  });
}

/**
 * At start without a capture named on the command line: the interfaces the person chose last time
 * (the settings' `capture.interfaces`) when this machine grants capture rights, and otherwise
 * nothing (the dashboard invites to pick an interface, open a file or play the demo). Why a
 * remembered capture did not resume is the capture status's message, and the returned one.
 */
export async function resumeRememberedCapture(core: NetmonCore): Promise<{ started: boolean; message: string | null }> {
  const wanted = core.settings.capture.interfaces;
  if (wanted.length === 0) return { started: false, message: null };
  const named = wanted.join(', ');
  const notStarted = (message: string) => {
    core.reportNotStarted(message);
    return { started: false, message };
  };
  const rights = await core.request('privileges.status', {});
  if (!rights.ok || !rights.value.canCapture) {
    const reason = rights.ok ? rights.value.reason ?? 'no capture rights' : rights.error.message;
    return notStarted(`not capturing on ${named} (chosen last time): ${reason}`);
  }
  const listed = await core.request('interfaces.list', {});
  if (!listed.ok) return notStarted(`not capturing on ${named} (chosen last time): ${listed.error.message}`);
  const gone = wanted.filter((name) => !listed.value.some((i) => i.name === name));
  if (gone.length > 0) {
    return notStarted(
      `${gone.length === 1 ? 'the interface' : 'the interfaces'} ${gone.join(', ')} chosen last time ${gone.length === 1 ? 'is' : 'are'} ` +
        'not on this machine now: pick an interface on the Interfaces page',
    );
  }
  const started = await core.startCapture({ kind: 'live', interfaces: [...wanted] });
  return started.ok ? { started: true, message: null } : notStarted(`capture on ${named} (chosen last time) did not start: ${started.error.message}`);
}
