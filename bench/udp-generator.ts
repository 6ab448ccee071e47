/**
 * A small C generator of UDP frames for the live benches (AF_PACKET, sendmmsg, paced by sleeping, so at a set rate
 * it leaves the CPUs to the receiver), compiled here with the system compiler.
 * usage: gen IFACE FRAME_BYTES PPS(0 = flat out) SECONDS SRCMAC DSTMAC SRCIP DSTIP [FLOWS]; prints "sent seconds".
 * FLOWS (default 1) source ports, from 10000 on, taken in turn: that many concurrent flows at PPS / FLOWS each.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const GENERATOR_C = String.raw`
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#define BATCH 32
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec / 1e9; }
static void mac(const char *s, uint8_t *o) { unsigned v[6]; sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); for (int i = 0; i < 6; i++) o[i] = (uint8_t)v[i]; }
static uint16_t csum(const uint8_t *p, int n) { uint32_t s = 0; for (int i = 0; i < n; i += 2) s += (p[i] << 8) | p[i + 1]; while (s >> 16) s = (s & 0xffff) + (s >> 16); return (uint16_t)~s; }
int main(int argc, char **argv) {
  if (argc != 9 && argc != 10) return 2;
  int len = atoi(argv[2]); double pps = atof(argv[3]), secs = atof(argv[4]);
  unsigned flows = argc == 10 ? (unsigned)atoi(argv[9]) : 1; if (flows < 1 || flows > 50000) return 2;
  int fd = socket(AF_PACKET, SOCK_RAW, 0); if (fd < 0) { perror("socket"); return 1; }
  int one = 1; setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
  struct sockaddr_ll sll; memset(&sll, 0, sizeof(sll)); sll.sll_family = AF_PACKET; sll.sll_ifindex = if_nametoindex(argv[1]);
  if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) { perror("bind"); return 1; }
  static uint8_t f[BATCH][9000];
  mac(argv[6], f[0]); mac(argv[5], f[0] + 6); f[0][12] = 0x08;
  uint8_t *ip = f[0] + 14; ip[0] = 0x45; ip[2] = (len - 14) >> 8; ip[3] = (len - 14) & 255; ip[8] = 64; ip[9] = 17;
  inet_pton(AF_INET, argv[7], ip + 12); inet_pton(AF_INET, argv[8], ip + 16);
  uint16_t c = csum(ip, 20); ip[10] = c >> 8; ip[11] = c & 255;
  uint8_t *udp = ip + 20; udp[0] = 0x27; udp[1] = 0x10; udp[3] = 9; udp[4] = (len - 34) >> 8; udp[5] = (len - 34) & 255;
  for (int i = 1; i < BATCH; i++) memcpy(f[i], f[0], len);
  struct mmsghdr m[BATCH]; struct iovec v[BATCH];
  for (int i = 0; i < BATCH; i++) { v[i].iov_base = f[i]; v[i].iov_len = len; memset(&m[i], 0, sizeof(m[i])); m[i].msg_hdr.msg_iov = &v[i]; m[i].msg_hdr.msg_iovlen = 1; }
  double start = now(), end = start + secs; unsigned long long sent = 0;
  for (;;) {
    double t = now(); if (t >= end) break;
    if (pps > 0 && sent >= (t - start) * pps) {
      /* Ahead of the rate: sleep until the next batch is due rather than spin a core. */
      double wait = (sent + BATCH) / pps - (t - start); if (wait > 0.002) wait = 0.002;
      struct timespec ts = { 0, (long)(wait * 1e9) }; nanosleep(&ts, NULL); continue;
    }
    if (flows > 1) for (int i = 0; i < BATCH; i++) { unsigned port = 10000 + (unsigned)((sent + i) % flows); f[i][34] = port >> 8; f[i][35] = port & 255; }
    int r = sendmmsg(fd, m, BATCH, 0); if (r > 0) sent += r;
  }
  printf("%llu %.6f\n", sent, now() - start); return 0;
}
`;

/** Compiles the generator into `dir` and returns its path. */
export function compileUdpGenerator(dir: string): string {
  const gen = path.join(dir, 'udp-gen');
  fs.writeFileSync(`${gen}.c`, GENERATOR_C);
  execFileSync('cc', ['-O2', '-o', gen, `${gen}.c`], { stdio: ['ignore', 'ignore', 'pipe'] });
  return gen;
}
