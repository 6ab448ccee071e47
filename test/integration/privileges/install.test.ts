import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNamespaces, createVethPair, type VethPair } from '../../helpers/netns';
import type { ServeProcess } from '../../helpers/serve-process';
import { CLI, startServe } from '../../helpers/serve-process';
import { readPcapFrames, REPO, sendTraffic, startServers, waitForExit, waitForOutput } from '../live/live-traffic';

/**
 * The real thing: `netmon install` into /opt/netmon, a fresh user in the
 * group capturing through `netmon capture` and `netmon serve`, a user outside
 * it refused, and the root fallback. Only this test may touch /opt/netmon and
 * the `netmon` group; it refuses to run over an install it did not make.
 */
const PREFIX = '/opt/netmon';
const GROUP = 'netmon';

function hasTools(): boolean {
  if (!canCreateNamespaces()) return false;
  return ['setcap', 'getcap', 'useradd', 'userdel', 'setpriv', 'curl', 'tcpdump', 'tshark'].every(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
  );
}

const tag = `${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
const member = `nmin${tag}`;
const outsider = `nmout${tag}`;

interface CaptureJson {
  packets: number;
  bytes: number;
  protocols: Record<string, { packets: number; bytes: number }>;
  capture: { privileges: string; processPrivileges: string; path: string; interfaces: { packets: number; bytes: number; kernelDrops: number }[] };
}

/** Fields of /proc/PID/status that say who a process is and what it may do. */
function processRights(pid: number): { name: string; uid: number[]; gid: number[]; capEff: bigint; capPrm: bigint; noNewPrivs: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '';
  return {
    name: field('Name'),
    uid: field('Uid').split(/\s+/).map(Number),
    gid: field('Gid').split(/\s+/).map(Number),
    capEff: BigInt(`0x${field('CapEff')}`),
    capPrm: BigInt(`0x${field('CapPrm')}`),
    noNewPrivs: Number(field('NoNewPrivs')),
  };
}

/** The process and all its descendants. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const task of fs.readdirSync(`/proc/${out[i]}/task`)) {
      const children = fs.readFileSync(`/proc/${out[i]}/task/${task}/children`, 'utf8').trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    }
  }
  return out;
}

describe.skipIf(!hasTools())('capture rights: install, group members, outsiders, root through sudo', () => {
  let pair: VethPair | undefined;
  let home: string;
  let memberHome: string;
  let madeInstall = false;
  const children: ChildProcess[] = [];
  const served: ServeProcess[] = [];
  const uidOf = (user: string) => Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
  const gidOf = (user: string) => Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
  const netmon = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  /** A command line run as `user` with its groups from /etc/group (as at a fresh login). */
  const asUser = (user: string, cmd: string[]) => ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', ...cmd];

  beforeAll(() => {
    if (fs.existsSync(PREFIX)) throw new Error(`${PREFIX} exists: this test installs there for real; remove it first (sudo netmon uninstall)`);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-home-'));
    fs.chmodSync(home, 0o755);
    memberHome = path.join(home, 'member');
    execFileSync('useradd', ['--create-home', '--home-dir', memberHome, '--shell', '/usr/sbin/nologin', member]);
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', outsider]);
  });

  afterEach(async () => {
    for (const serve of served.splice(0)) await serve.stop();
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    pair?.destroy();
    pair = undefined;
  });

  afterAll(() => {
    if (madeInstall && fs.existsSync(PREFIX)) netmon(['uninstall']);
    for (const user of [member, outsider]) spawnSync('userdel', [user]);
    // Unset when beforeAll refused to run over an install it did not make.
    if (home !== undefined) fs.rmSync(home, { recursive: true, force: true });
  });

  it('install puts netmon-capture alone in /opt/netmon, root:netmon 0750 with the capabilities, and adds the user', () => {
    const r = netmon(['install', '--user', member]);
    madeInstall = true;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const program = path.join(PREFIX, 'bin', 'netmon-capture');
    const st = fs.statSync(program);
    const gid = Number(execFileSync('getent', ['group', GROUP], { encoding: 'utf8' }).split(':')[2]);
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([0, gid, 0o750]);
    // Capabilities on netmon-capture only: nothing else under the install carries any.
    const caps = execFileSync('getcap', ['-r', PREFIX], { encoding: 'utf8' }).trim().split('\n');
    expect(caps).toEqual([`${program} cap_net_admin,cap_net_raw=ep`]);
    expect(fs.readdirSync(PREFIX).sort()).toEqual(['bin', 'install.env']);
    expect(fs.readdirSync(path.join(PREFIX, 'bin'))).toEqual(['netmon-capture']);
    expect(execFileSync('id', ['-nG', member], { encoding: 'utf8' }).trim().split(/\s+/)).toContain(GROUP);
    const status = JSON.parse(netmon(['install', '--status', '--json']).stdout) as { installed: boolean; upToDate: boolean; capabilities: string; ownership: string };
    expect(status).toMatchObject({ installed: true, upToDate: true, capabilities: 'cap_net_admin,cap_net_raw=ep', ownership: `root:${GROUP} 0750` });
  });

  it('a fresh user in the group captures known traffic exactly, as tcpdump saw it, through `netmon capture`', async () => {
    pair = createVethPair();
    const servers = startServers(pair);
    children.push(servers);
    await waitForOutput(servers, /servers-ready/);
    const pcap = path.join(home, 'truth.pcap');
    const tcpdump = pair.spawn(pair.nsB, 'tcpdump', ['-i', pair.ifB, '-n', '-U', '--immediate-mode', '-w', pcap], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(tcpdump);
    await waitForOutput(tcpdump, /listening on/);
    const capture = pair.spawn(pair.nsB, asUser(member, [])[0], [...asUser(member, []).slice(1), process.execPath, CLI, 'capture', '--iface', pair.ifB, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: home },
    });
    children.push(capture);
    let out = '';
    capture.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitForOutput(capture, /capturing on|netmon capture: /);
    // Every process of the capture runs as the member with no capability, netmon-capture included.
    const tree = processTree(capture.pid!);
    const rights = tree.map(processRights);
    expect(rights.map((r) => r.name).sort()).toEqual(['netmon-capture', 'node']);
    for (const r of rights) {
      expect(r.uid).toEqual(Array(4).fill(uidOf(member)));
      expect([r.capEff, r.capPrm]).toEqual([0n, 0n]);
    }
    expect(rights.find((r) => r.name === 'netmon-capture')!.noNewPrivs).toBe(1);
    sendTraffic(pair);
    await new Promise((r) => setTimeout(r, 300));
    capture.kill('SIGTERM');
    expect(await waitForExit(capture)).toBe(0);
    tcpdump.kill('SIGINT');
    await waitForExit(tcpdump);
    const report = JSON.parse(out) as CaptureJson;
    const truth = readPcapFrames(pcap);
    expect(report.packets).toBe(truth.length);
    expect(report.bytes).toBe(truth.reduce((s, f) => s + f.wireLength, 0));
    expect(report.capture).toMatchObject({ path: 'netmon-capture', privileges: 'dropped-capabilities', processPrivileges: 'unprivileged' });
    expect(report.capture.interfaces[0].kernelDrops).toBe(0);
  });

  it('a group member\'s `netmon serve` captures through the installed program; every process is the member, without capabilities', async () => {
    pair = createVethPair();
    const db = path.join(memberHome, 'serve.sqlite');
    const serve = await startServe(['--iface', pair.ifB, '--bind', '127.0.0.1:0', '--db', db], { HOME: memberHome }, {
      spawnWith: (command, args, options) => pair!.spawn(pair!.nsB, command, args, options),
      user: { name: member, uid: uidOf(member), gid: gidOf(member), via: 'login' },
    });
    served.push(serve);
    const { url, token } = serve;
    const api = (route: string) =>
      JSON.parse(pair!.exec(pair!.nsB, 'curl', ['-sf', '-H', `Authorization: Bearer ${token}`, `${url}${route}`])) as Record<string, unknown>;
    // Wait for the capture to run, then send the known traffic.
    for (let i = 0; i < 100 && (api('/api/stats').capture as { state: string }).state !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((api('/api/stats').capture as { state: string; path: string }).path).toBe('netmon-capture');
    // A permission probe (`netmon-capture --probe`, run for the interface list) may still be exiting.
    let rights = processTree(serve.child.pid!).map(processRights);
    for (let i = 0; i < 50 && rights.length > 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rights = processTree(serve.child.pid!).map(processRights);
    }
    expect(rights.map((r) => r.name).sort()).toEqual(['netmon-capture', 'node', 'node']);
    for (const r of rights) {
      expect(r.uid).toEqual(Array(4).fill(uidOf(member)));
      expect([r.capEff, r.capPrm]).toEqual([0n, 0n]);
    }
    const servers = startServers(pair);
    children.push(servers);
    await waitForOutput(servers, /servers-ready/);
    pair.exec(pair.nsA, 'ping', ['-q', '-c', '5', '-i', '0.05', pair.addrB]);
    let icmp = { packets: 0, bytes: 0 };
    for (let i = 0; i < 50 && icmp.packets < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      icmp = (api('/api/stats').protocols as Record<string, { packets: number; bytes: number }>).icmp ?? icmp;
    }
    expect(icmp).toEqual({ packets: 10, bytes: 10 * 98 });
    expect(await serve.stop()).toBe(0);
  });

  it('a user outside the group is refused with the command that grants the rights', () => {
    pair = createVethPair();
    for (const args of [['capture', '--iface', pair.ifB, '--duration', '1'], ['interfaces']]) {
      const r = spawnSync('ip', ['netns', 'exec', pair.nsB, ...asUser(outsider, [process.execPath, CLI, ...args])], { encoding: 'utf8', env: { ...process.env, HOME: home } });
      if (args[0] === 'capture') {
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`capture rights belong to group '${GROUP}'`);
        expect(r.stderr).toContain("run 'sudo netmon install'");
      } else {
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/capture: no \(capture rights belong to group 'netmon'.*sudo netmon install/);
      }
    }
    // And the program itself will not run for them (runuser: setpriv keeps its capabilities until its execve).
    const direct = spawnSync('runuser', ['-u', outsider, '--', path.join(PREFIX, 'bin', 'netmon-capture'), '--version'], { encoding: 'utf8' });
    expect(direct.status).not.toBe(0);
    expect(direct.stderr).toMatch(/Permission denied/);
  });

  it('started as root through sudo, `netmon capture` lets netmon-capture open the interface, then runs as the invoking user', async () => {
    pair = createVethPair();
    const uid = uidOf(member);
    const gid = gidOf(member);
    const env = { ...process.env, SUDO_UID: String(uid), SUDO_GID: String(gid), SUDO_USER: member };
    const child = pair.spawn(pair.nsB, process.execPath, [CLI, 'capture', '--iface', pair.ifB, '--duration', '3', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitForOutput(child, /capturing on/);
    const rights = processTree(child.pid!).map(processRights);
    expect(rights.map((r) => r.name).sort()).toEqual(['netmon-capture', 'node']);
    for (const r of rights) {
      expect(r.uid).toEqual([uid, uid, uid, uid]);
      expect(r.gid).toEqual([gid, gid, gid, gid]);
      expect([r.capEff, r.capPrm, r.noNewPrivs]).toEqual([0n, 0n, 1]);
    }
    pair.exec(pair.nsA, 'ping', ['-q', '-c', '2', '-i', '0.05', pair.addrB]);
    expect(await waitForExit(child)).toBe(0);
    const report = JSON.parse(out) as CaptureJson;
    expect(report.capture).toMatchObject({ privileges: 'dropped-root', processPrivileges: 'dropped-root' });
    expect(report.protocols.icmp.packets).toBe(4);
  });

  it('started as root through sudo, `netmon serve` opens the interface, then every process runs as the invoking user, data in its home', async () => {
    pair = createVethPair();
    const uid = uidOf(member);
    const gid = gidOf(member);
    const serve = await startServe(['--iface', pair.ifB, '--bind', '127.0.0.1:0'], {}, {
      spawnWith: (command, args, options) => pair!.spawn(pair!.nsB, command, args, options),
      user: { name: member, uid, gid, via: 'sudo' },
    });
    served.push(serve);
    const { url, token } = serve;
    const api = (route: string) =>
      JSON.parse(pair!.exec(pair!.nsB, 'curl', ['-sf', '-H', `Authorization: Bearer ${token}`, `${url}${route}`])) as Record<string, unknown>;
    for (let i = 0; i < 100 && (api('/api/stats').capture as { state: string }).state !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(api('/api/stats').capture).toMatchObject({ state: 'running', path: 'netmon-capture' });
    const rights = processTree(serve.child.pid!).map(processRights);
    expect(rights.map((r) => r.name).sort()).toEqual(['netmon-capture', 'node', 'node']);
    for (const r of rights) {
      expect(r.uid).toEqual([uid, uid, uid, uid]);
      expect(r.gid).toEqual([gid, gid, gid, gid]);
      expect([r.capEff, r.capPrm, r.noNewPrivs]).toEqual([0n, 0n, 1]);
    }
    pair.exec(pair.nsA, 'ping', ['-q', '-c', '3', '-i', '0.05', pair.addrB]);
    let icmp = { packets: 0, bytes: 0 };
    for (let i = 0; i < 50 && icmp.packets < 6; i++) {
      await new Promise((r) => setTimeout(r, 200));
      icmp = (api('/api/stats').protocols as Record<string, { packets: number; bytes: number }>).icmp ?? icmp;
    }
    expect(icmp).toEqual({ packets: 6, bytes: 6 * 98 });
    // The history lives in the invoking user's home, owned by that user.
    const db = fs.statSync(path.join(memberHome, '.local', 'share', 'netmon', 'history.sqlite'));
    expect(db.uid).toBe(uid);
    expect(await serve.stop()).toBe(0);
  });

  it('uninstall removes /opt/netmon and the group it created', () => {
    const created = /^created_group=1$/m.test(fs.readFileSync(path.join(PREFIX, 'install.env'), 'utf8'));
    const r = netmon(['uninstall']);
    expect(r.status).toBe(0);
    expect(fs.existsSync(PREFIX)).toBe(false);
    if (created) expect(spawnSync('getent', ['group', GROUP]).status).not.toBe(0);
    else expect(execFileSync('id', ['-nG', member], { encoding: 'utf8' })).not.toContain(GROUP);
  });

  it('the deb maintainer scripts, run for real on a staged tree, give the packaged program the rights and take the group back', () => {
    const name = `netmon-debtest-${tag}`;
    const root = path.join('/opt', name);
    const bin = path.join(root, 'resources', 'app.asar.unpacked', 'dist', 'bin');
    const render = (file: string) => fs.readFileSync(path.join(REPO, 'packaging', 'deb', file), 'utf8').replaceAll('${executable}', name).replaceAll('${sanitizedProductName}', name);
    const groupBefore = spawnSync('getent', ['group', GROUP]).status === 0;
    fs.mkdirSync(bin, { recursive: true });
    try {
      fs.writeFileSync(path.join(root, name), '#!/bin/sh\n', { mode: 0o755 });
      fs.writeFileSync(path.join(root, 'chrome-sandbox'), '', { mode: 0o755 });
      for (const f of ['netmon-capture', 'capture-rights.sh']) fs.copyFileSync(path.join(REPO, 'dist', 'bin', f), path.join(bin, f));
      fs.chmodSync(path.join(bin, 'netmon-capture'), 0o755);
      const scripts = fs.mkdtempSync(path.join(home, 'deb-'));
      fs.writeFileSync(path.join(scripts, 'postinst'), render('after-install.tpl'));
      fs.writeFileSync(path.join(scripts, 'postrm'), render('after-remove.tpl'));

      const installed = spawnSync('bash', [path.join(scripts, 'postinst'), 'configure'], { encoding: 'utf8' });
      expect(installed.status).toBe(0);
      expect(installed.stderr).not.toContain('capture rights were not set');
      const program = path.join(bin, 'netmon-capture');
      const gid = Number(execFileSync('getent', ['group', GROUP], { encoding: 'utf8' }).split(':')[2]);
      const st = fs.statSync(program);
      expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([0, gid, 0o750]);
      expect(execFileSync('getcap', ['-r', root], { encoding: 'utf8' }).trim()).toBe(`${program} cap_net_admin,cap_net_raw=ep`);
      expect(fs.realpathSync(`/usr/bin/${name}`)).toBe(path.join(root, name));

      // dpkg removes the files, then runs postrm.
      fs.rmSync(root, { recursive: true, force: true });
      const removed = spawnSync('bash', [path.join(scripts, 'postrm'), 'remove'], { encoding: 'utf8' });
      expect(removed.status).toBe(0);
      expect(fs.existsSync(`/usr/bin/${name}`)).toBe(false);
      expect(spawnSync('getent', ['group', GROUP]).status === 0).toBe(groupBefore);
      expect(fs.existsSync('/var/lib/netmon/package-created-group')).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
