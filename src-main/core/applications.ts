import os from 'node:os';
import type Database from 'better-sqlite3';
import type { ApplicationHost, ApplicationsReport, ApplicationUsage } from '../api/types/applications';
import type { FlowSummary } from '../api/types/flows';
import { ALL_SESSIONS } from '../../src-shared/flow-query';

/**
 * Usage per application (the label of the local process that owned each flow's socket): bytes each way, flows and
 * the top remote hosts, over one capture session or every one, within an optional time window. Finished flows are
 * summed in SQLite (GROUP BY over the finished-flow log), active flows from main's flow book, each flow once.
 */

/** Applications a report lists, by bytes; the rest are counted in `omitted`. */
export const MAX_APPLICATIONS = 100;
/** Remote hosts listed per application. */
export const TOP_HOSTS = 5;
/** Process ids listed per application (the most recent). */
export const MAX_PIDS = 20;
/** Active flows read per report (the flow book holds up to its setting's maximum). */
export const MAX_ACTIVE_FLOWS_READ = 100_000;
/** Local addresses the report considers. */
export const MAX_LOCAL_ADDRESSES = 256;
/** Applications whose finished flows are summed: more than the report lists, so active bytes can reorder them. */
const SQL_APPLICATIONS = 2 * MAX_APPLICATIONS;

export interface ApplicationsRequest {
  /** A session id, or `*` for every session. */
  session: string;
  /** Flows seen at or after this time only. */
  fromMs: number | null;
  /** The session's kind, for the reason a report is empty. */
  sessionKind: string | null;
  platform: NodeJS.Platform;
  /** Addresses of this machine (at most MAX_LOCAL_ADDRESSES): the side of a flow the process is on; when neither or
   *  both sides are, the side that opened it (A), as the alerts' direction rule has it. */
  localAddresses: readonly string[];
  /** A learnt name of an address, for hosts whose flows carried none. */
  nameOf(ip: string): string | undefined;
}

interface Tally {
  label: string;
  system: boolean;
  uid: number | null;
  user: string | null;
  exe: string | null;
  /** Latest first. */
  pids: Map<number, number>;
  bytesIn: number;
  bytesOut: number;
  flows: number;
  activeFlows: number;
  lastMs: number;
  hosts: Map<string, ApplicationHost>;
}

interface AppRow {
  label: string;
  last_ms: number;
  app_pid: number | null;
  app_uid: number | null;
  app_user: string | null;
  app_exe: string | null;
  bytes_out: number;
  bytes_in: number;
  flows: number;
}

/** This machine's addresses as flows carry them (no zone, lower case), at most MAX_LOCAL_ADDRESSES. */
export function localAddresses(): string[] {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (out.size < MAX_LOCAL_ADDRESSES) out.add(a.address.replace(/%.*$/, '').toLowerCase());
  }
  return [...out];
}

/** The report over the finished-flow log (`db`) and the active flows. Labels compare case-insensitively, as the
 *  `application` flow filter does, so a click on a row finds its flows. */
export function applicationsReport(db: Database.Database, active: Iterable<FlowSummary>, req: ApplicationsRequest): ApplicationsReport {
  const tallies = new Map<string, Tally>();
  let unattributed = { bytes: 0, flows: 0 };
  let activeRead = 0;
  let truncated = false;
  const locals = req.localAddresses.slice(0, MAX_LOCAL_ADDRESSES);
  const localSet = new Set(locals);
  const isLocal = (ip: string) => localSet.has(ip);
  const sessionPrefix = req.session === ALL_SESSIONS ? null : `${req.session}:`;

  for (const f of active) {
    if (activeRead >= MAX_ACTIVE_FLOWS_READ) {
      truncated = true;
      break;
    }
    activeRead++;
    if (sessionPrefix !== null && !f.id.startsWith(sessionPrefix)) continue;
    if (req.fromMs !== null && f.lastSeenMs < req.fromMs) continue;
    const { out, into, remote, remoteName } = sides(f, isLocal);
    if (f.app === undefined) {
      unattributed = { bytes: unattributed.bytes + out + into, flows: unattributed.flows + 1 };
      continue;
    }
    const key = f.app.label.toLowerCase();
    let t = tallies.get(key);
    if (t === undefined) {
      t = { label: f.app.label, system: f.app.system, uid: f.app.uid, user: f.app.user, exe: f.app.exe, pids: new Map(), bytesIn: 0, bytesOut: 0, flows: 0, activeFlows: 0, lastMs: -Infinity, hosts: new Map() };
      tallies.set(key, t);
    }
    if (f.lastSeenMs >= t.lastMs) {
      t.lastMs = f.lastSeenMs;
      t.uid = f.app.uid;
      t.user = f.app.user;
      t.exe = f.app.exe ?? t.exe;
    }
    if (f.app.pid !== null) t.pids.set(f.app.pid, Math.max(t.pids.get(f.app.pid) ?? -Infinity, f.lastSeenMs));
    t.bytesIn += into;
    t.bytesOut += out;
    t.flows++;
    t.activeFlows++;
    const h = t.hosts.get(remote) ?? { host: remote, name: null, bytes: 0, flows: 0 };
    h.bytes += out + into;
    h.flows++;
    h.name ??= remoteName;
    t.hosts.set(remote, h);
  }

  const finished = finishedUsage(db, req, locals, [...tallies.keys()]);
  unattributed = { bytes: unattributed.bytes + finished.unattributed.bytes, flows: unattributed.flows + finished.unattributed.flows };
  for (const r of finished.apps) {
    const key = r.label.toLowerCase();
    let t = tallies.get(key);
    if (t === undefined) {
      t = { label: r.label, system: r.app_pid === null, uid: r.app_uid, user: r.app_user, exe: r.app_exe, pids: new Map(), bytesIn: 0, bytesOut: 0, flows: 0, activeFlows: 0, lastMs: r.last_ms, hosts: new Map() };
      tallies.set(key, t);
    } else if (r.last_ms > t.lastMs) {
      t.lastMs = r.last_ms;
      t.uid = r.app_uid;
      t.user = r.app_user;
      t.exe = r.app_exe ?? t.exe;
    }
    t.bytesIn += r.bytes_in;
    t.bytesOut += r.bytes_out;
    t.flows += r.flows;
  }
  const listed = [...tallies.values()].sort((x, y) => y.bytesIn + y.bytesOut - (x.bytesIn + x.bytesOut) || y.flows - x.flows).slice(0, MAX_APPLICATIONS);
  const details = finishedDetails(db, req, locals, listed.map((t) => t.label.toLowerCase()));
  const applications = listed.map((t): ApplicationUsage => {
    const key = t.label.toLowerCase();
    for (const [pid, lastMs] of details.pids.get(key) ?? []) t.pids.set(pid, Math.max(t.pids.get(pid) ?? -Infinity, lastMs));
    for (const h of details.hosts.get(key) ?? []) {
      const mine = t.hosts.get(h.host);
      t.hosts.set(h.host, mine === undefined ? h : { host: h.host, name: mine.name ?? h.name, bytes: mine.bytes + h.bytes, flows: mine.flows + h.flows });
    }
    const topHosts = [...t.hosts.values()]
      .sort((x, y) => y.bytes - x.bytes || y.flows - x.flows || (x.host < y.host ? -1 : 1))
      .slice(0, TOP_HOSTS)
      .map((h) => ({ ...h, name: h.name ?? req.nameOf(h.host) ?? null }));
    const pids = [...t.pids].sort((x, y) => y[1] - x[1]).slice(0, MAX_PIDS).map(([pid]) => pid);
    return {
      label: t.label,
      system: t.system,
      uid: t.uid,
      user: t.user,
      exe: t.exe,
      pids,
      bytesIn: t.bytesIn,
      bytesOut: t.bytesOut,
      flows: t.flows,
      activeFlows: t.activeFlows,
      lastSeenMs: Number.isFinite(t.lastMs) ? t.lastMs : null,
      topHosts,
    };
  });
  return {
    session: req.session,
    fromMs: req.fromMs,
    applications,
    omitted: Math.max(0, tallies.size - listed.length) + finished.omitted,
    unattributed,
    truncated,
    attribution: req.platform !== 'linux' ? 'unsupported-platform' : req.sessionKind === 'replay' || req.sessionKind === 'demo' ? 'capture-file' : 'available',
  };
}

/** A flow's bytes as its local process sent (`out`) and received them, and its remote end. */
function sides(f: FlowSummary, isLocal: (ip: string) => boolean): { out: number; into: number; remote: string; remoteName: string | null } {
  const bIsLocal = isLocal(f.b) && !isLocal(f.a);
  if (bIsLocal) return { out: f.bToA.bytes, into: f.aToB.bytes, remote: f.a, remoteName: f.names.a };
  const n = f.names;
  return { out: f.aToB.bytes, into: f.bToA.bytes, remote: f.b, remoteName: n.name ?? n.sni ?? n.httpHost ?? n.dnsQuery ?? n.b };
}

/** The WHERE shared by the log's queries, and the SQL of "B is the local side" (addresses bound as parameters). */
function scope(req: ApplicationsRequest, locals: readonly string[]): { where: string; params: unknown[]; bLocal: string; bLocalParams: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (req.session !== ALL_SESSIONS) {
    clauses.push('session_id = ?');
    params.push(req.session);
  }
  if (req.fromMs !== null) {
    clauses.push('last_ms >= ?');
    params.push(req.fromMs);
  }
  const list = locals.map(() => '?').join(', ');
  return {
    where: clauses.length === 0 ? '' : `AND ${clauses.join(' AND ')}`,
    params,
    bLocal: locals.length === 0 ? '0' : `(b IN (${list}) AND a NOT IN (${list}))`,
    bLocalParams: [...locals, ...locals],
  };
}

function finishedUsage(db: Database.Database, req: ApplicationsRequest, locals: readonly string[], activeLabels: string[]): { apps: (AppRow & { label: string })[]; unattributed: { bytes: number; flows: number }; omitted: number } {
  const s = scope(req, locals);
  const outExpr = `CASE WHEN ${s.bLocal} THEN bytes_ba ELSE bytes_ab END`;
  const inExpr = `CASE WHEN ${s.bLocal} THEN bytes_ab ELSE bytes_ba END`;
  // A bare column next to MAX(last_ms) takes the values of that row (SQLite): the process the label last stood for.
  const select = `SELECT app_label AS label, MAX(last_ms) AS last_ms, app_pid, app_uid, app_user, app_exe,
      SUM(${outExpr}) AS bytes_out, SUM(${inExpr}) AS bytes_in, COUNT(*) AS flows
    FROM flow_log WHERE app_label IS NOT NULL ${s.where}`;
  const params = [...s.bLocalParams, ...s.bLocalParams, ...s.params];
  const top = db.prepare<unknown[], AppRow>(`${select} GROUP BY lower(app_label) ORDER BY SUM(bytes_ab + bytes_ba) DESC, COUNT(*) DESC LIMIT ?`)
    .all(...params, SQL_APPLICATIONS + 1);
  const omitted = Math.max(0, top.length - SQL_APPLICATIONS);
  const apps = top.slice(0, SQL_APPLICATIONS);
  // Labels with active flows that the top rows left out: their finished flows too, so each label's sums are whole.
  const have = new Set(apps.map((r) => r.label.toLowerCase()));
  const missing = activeLabels.filter((l) => !have.has(l)).slice(0, MAX_APPLICATIONS);
  if (missing.length > 0) {
    apps.push(...db.prepare<unknown[], AppRow>(`${select} AND lower(app_label) IN (${missing.map(() => '?').join(', ')}) GROUP BY lower(app_label)`)
      .all(...params, ...missing));
  }
  const none = db.prepare<unknown[], { bytes: number | null; flows: number }>(
    `SELECT SUM(bytes_ab + bytes_ba) AS bytes, COUNT(*) AS flows FROM flow_log WHERE app_label IS NULL ${s.where}`,
  ).get(...s.params);
  return { apps, unattributed: { bytes: none?.bytes ?? 0, flows: none?.flows ?? 0 }, omitted };
}

/** Each listed label's most recent pids and top remote hosts over the log (window functions rank them per label). */
function finishedDetails(db: Database.Database, req: ApplicationsRequest, locals: readonly string[], labels: string[]): { pids: Map<string, [number, number][]>; hosts: Map<string, ApplicationHost[]> } {
  const pids = new Map<string, [number, number][]>();
  const hosts = new Map<string, ApplicationHost[]>();
  if (labels.length === 0) return { pids, hosts };
  const s = scope(req, locals);
  const inLabels = `lower(app_label) IN (${labels.map(() => '?').join(', ')})`;
  const pidRows = db.prepare<unknown[], { k: string; pid: number; last_ms: number }>(
    `SELECT k, pid, last_ms FROM (
       SELECT lower(app_label) AS k, app_pid AS pid, MAX(last_ms) AS last_ms,
         ROW_NUMBER() OVER (PARTITION BY lower(app_label) ORDER BY MAX(last_ms) DESC) AS n
       FROM flow_log WHERE app_pid IS NOT NULL AND ${inLabels} ${s.where} GROUP BY lower(app_label), app_pid)
     WHERE n <= ?`,
  ).all(...labels, ...s.params, MAX_PIDS);
  for (const r of pidRows) pids.set(r.k, [...(pids.get(r.k) ?? []), [r.pid, r.last_ms]]);
  const remote = `CASE WHEN ${s.bLocal} THEN a ELSE b END`;
  const remoteName = `CASE WHEN ${s.bLocal} THEN a_name ELSE COALESCE(name, sni, http_host, dns_query, b_name) END`;
  const hostRows = db.prepare<unknown[], { k: string; host: string; name: string | null; bytes: number; flows: number }>(
    `SELECT k, host, name, bytes, flows FROM (
       SELECT lower(app_label) AS k, ${remote} AS host, MAX(${remoteName}) AS name, SUM(bytes_ab + bytes_ba) AS bytes, COUNT(*) AS flows,
         ROW_NUMBER() OVER (PARTITION BY lower(app_label) ORDER BY SUM(bytes_ab + bytes_ba) DESC, COUNT(*) DESC) AS n
       FROM flow_log WHERE ${inLabels} ${s.where} GROUP BY lower(app_label), ${remote})
     WHERE n <= ?`,
  ).all(...s.bLocalParams, ...s.bLocalParams, ...labels, ...s.params, ...s.bLocalParams, TOP_HOSTS);
  for (const r of hostRows) hosts.set(r.k, [...(hosts.get(r.k) ?? []), { host: r.host, name: r.name, bytes: r.bytes, flows: r.flows }]);
  return { pids, hosts };
}
