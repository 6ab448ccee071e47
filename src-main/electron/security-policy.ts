/**
 * The Electron shell's security decisions as plain functions (no electron
 * import), so they are tested under Node.
 */

/** The dashboard loads only its own files; it talks to main through the preload bridge, never the network. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Whether an IPC message comes from the dashboard we loaded: the sending frame
 * must be the main frame of one of our windows and show a file inside the
 * dashboard's folder (GitHub Desktop's trusted-ipc-sender, by URL as well).
 */
export function isTrustedSenderUrl(senderUrl: string, dashboardDirUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(senderUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'file:') return false;
  const base = dashboardDirUrl.endsWith('/') ? dashboardDirUrl : `${dashboardDirUrl}/`;
  // URL normalises ".." segments, so a path that escapes the folder no longer starts with it.
  return `${url.protocol}//${url.host}${url.pathname}`.startsWith(base);
}

/** Links the dashboard may open in the user's browser: https only, never file:, javascript: or custom schemes. */
export function isSafeExternalUrl(candidate: string): boolean {
  try {
    const url = new URL(candidate);
    return url.protocol === 'https:' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** Quotes one argument for the POSIX shell that sudo-prompt runs the command through. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The one-time elevation command: the shell script that installs
 * netmon-capture (capture-rights.sh, the one `sudo netmon install` runs),
 * from copies outside the app, for the user who asked for it. Root runs a
 * POSIX shell and that script only: no Node, nothing from inside the app.
 */
export function captureRightsCommand(script: string, program: string, user: string): string {
  return ['/bin/sh', shellQuote(script), 'install', '--program', shellQuote(program), '--user', shellQuote(user)].join(' ');
}
