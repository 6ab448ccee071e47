import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNamespaces, createVethPair, type VethPair } from '../../helpers/netns';
import { requireBuilt, waitForExit, waitForOutput } from '../live/live-traffic';

function hasTools(): boolean {
  if (!canCreateNamespaces()) return false;
  return ['setcap', 'getcap', 'useradd', 'userdel', 'groupdel', 'runuser'].every(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
  );
}

const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
const group = `nmg${tag}`;
const member = `nmin${tag}`;
const outsider = `nmout${tag}`;

interface CaptureJson {
  packets: number;
  protocols: Record<string, { packets: number }>;
  capture: { privileges: string; interfaces: { packets: number }[] };
}

describe.skipIf(!hasTools())('capture rights: install, group members, root fallback', () => {
  let cli: string;
  let root: string;
  let prefix: string;
  let pair: VethPair;

  const runCli = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  beforeAll(() => {
    cli = requireBuilt('cli.js');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-priv-'));
    fs.chmodSync(root, 0o755);
    prefix = path.join(root, 'helper');
    for (const user of [member, outsider]) {
      execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    }
    pair = createVethPair();
  });

  afterAll(() => {
    pair?.destroy();
    runCli(['uninstall', '--prefix', prefix]);
    for (const user of [member, outsider]) spawnSync('userdel', [user]);
    spawnSync('groupdel', [group]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Runs `netmon capture` for 2 s in namespace B as `user`, pinging from A meanwhile. */
  async function captureAs(command: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string; err: string; pid: number }> {
    const child = pair.spawn(pair.nsB, command[0], [...command.slice(1), 'capture', '--iface', pair.ifB, '--duration', '2', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const ready = await waitForOutput(child, /capturing on|netmon capture: |denied|ermission/).catch((e: Error) => e.message);
    if (/capturing on/.test(ready)) pair.exec(pair.nsA, 'ping', ['-q', '-c', '3', '-i', '0.05', pair.addrB]);
    const code = await waitForExit(child);
    return { code, out, err, pid: child.pid ?? -1 };
  }

  it('install creates the group, a root:group 0750 runtime with capabilities on its node, and adds the user', () => {
    const r = runCli(['install', '--prefix', prefix, '--group', group, '--user', member]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const st = fs.statSync(prefix);
    expect(st.uid).toBe(0);
    expect(st.mode & 0o777).toBe(0o750);
    const gid = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
    expect(st.gid).toBe(gid);
    expect(execFileSync('getcap', [path.join(prefix, 'bin', 'node')], { encoding: 'utf8' })).toMatch(/cap_net_admin,cap_net_raw=ep/);
    expect(execFileSync('id', ['-nG', member], { encoding: 'utf8' }).split(/\s+/)).toContain(group);
    const status = JSON.parse(runCli(['install', '--status', '--json', '--prefix', prefix]).stdout) as { installed: boolean; capabilities: string };
    expect(status.installed).toBe(true);
    expect(status.capabilities).toBe('cap_net_admin,cap_net_raw=ep');
  });

  it('a fresh non-root user in the group captures through the installed helper, which then gives up its capabilities', async () => {
    const r = await captureAs(['runuser', '-u', member, '--', path.join(prefix, 'netmon-helper')]);
    expect(r.err).not.toMatch(/ermission/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as CaptureJson;
    expect(report.protocols.icmp.packets).toBe(6);
    expect(report.capture.privileges).toBe('dropped-capabilities');
  });

  it('a user outside the group can neither run the installed helper nor capture with plain node', async () => {
    const denied = spawnSync('runuser', ['-u', outsider, '--', path.join(prefix, 'netmon-helper'), 'interfaces'], { encoding: 'utf8' });
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toMatch(/Permission denied/);
    const plain = await captureAs(['runuser', '-u', outsider, '--', process.execPath, cli]);
    expect(plain.code).toBe(1);
    expect(plain.err).toMatch(/cannot capture on .*(Operation not permitted|permission)/i);
  });

  it('the root fallback opens the interface, then runs as the invoking user and cannot become root again', async () => {
    const uid = Number(execFileSync('id', ['-u', member], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', member], { encoding: 'utf8' }));
    const env = { ...process.env, SUDO_UID: String(uid), SUDO_GID: String(gid), SUDO_USER: member };
    const child = pair.spawn(pair.nsB, process.execPath, [cli, 'capture', '--iface', pair.ifB, '--duration', '3', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitForOutput(child, /capturing on/);
    // `ip netns exec` execs the command, so this is the helper's own status.
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}$`, 'm'));
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^CapPrm:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    pair.exec(pair.nsA, 'ping', ['-q', '-c', '2', '-i', '0.05', pair.addrB]);
    expect(await waitForExit(child)).toBe(0);
    const report = JSON.parse(out) as CaptureJson;
    expect(report.capture.privileges).toBe('dropped-root');
    expect(report.protocols.icmp.packets).toBe(4);
  });

  it('uninstall removes the runtime and the group it created', () => {
    const r = runCli(['uninstall', '--prefix', prefix]);
    expect(r.status).toBe(0);
    expect(fs.existsSync(prefix)).toBe(false);
    expect(spawnSync('getent', ['group', group]).status).not.toBe(0);
  });
});
