/*
 * netmon-capture: the only part of Netmon that holds capture rights.
 *
 * It opens the requested interfaces with libpcap (BPF, snaplen, buffer size,
 * promiscuous flag, timeout), gives up every privilege (all capabilities; the
 * root user when started through sudo or pkexec) and only then reads packets,
 * which it writes in batches to its standard output. It parses nothing inside
 * packets. It ends when its control input closes, on SIGTERM or SIGINT, or when
 * every interface has failed.
 *
 * Output: messages of an 8-byte header (u32 type, u32 payload length, in host
 * byte order) and a payload. See wire.md beside this file for the layouts.
 *   OPENED (1) JSON       BATCH (2) packed records     STATS (3) counters
 *   ERROR  (4) JSON       END   (5) empty, last message of a clean end
 * Control input (stdin), one byte per command: 'S' sends STATS now, 'Q' stops
 * like end of input; any other byte is a protocol error that stops the capture.
 * With --hold, nothing is written until the control byte 'G': a capture opened
 * by a root parent for a helper it starts later stays unread until the helper,
 * its only reader, asks for it.
 *
 * It ends with the process that started it (SIGTERM on the parent's death),
 * and with its reader: when the reader closes its end (EPIPE), or, once a stop
 * was requested, when the reader takes nothing for STOP_DRAIN_MS.
 *
 * Exit status: 0 clean end; 1 cannot open or capture (no such interface, no
 * permission, every interface failed); 2 bad arguments, filter or control byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#ifndef NETMON_CAPTURE_VERSION
#define NETMON_CAPTURE_VERSION "dev"
#endif
#define PROTOCOL 1
#define MAX_IFACES 16
#define MAX_BPF 8192
#define RECORD_HEADER 24
#define BATCH_HEADER 16 /* message header + u32 count + u32 reserved */
#define JSON_MAX 16384
/* Once a stop is requested, how long writes may wait on a reader that takes nothing before the program gives up. */
#define STOP_DRAIN_MS 2000

enum { M_OPENED = 1, M_BATCH = 2, M_STATS = 3, M_ERROR = 4, M_END = 5 };
enum { EXIT_OK = 0, EXIT_CAPTURE = 1, EXIT_USAGE = 2 };

struct options {
  const char *ifaces[MAX_IFACES];
  int n_ifaces;
  const char *bpf;
  long snaplen, buffer_mib, timeout_ms, batch_kib, stats_ms;
  int promisc, probe, hold;
};

struct iface {
  const char *name;
  pcap_t *p;
  int fd;
  int link_type, nano;
  char warning[PCAP_ERRBUF_SIZE];
  /* Counters from the last pcap_stats, kept when the handle closes. */
  uint64_t received, kernel_drops, if_drops;
  int stats_valid, closed;
};

struct invoker {
  int present;
  uid_t uid;
  gid_t gid;
};

static struct iface ifaces[MAX_IFACES];
static int n_ifaces;
static uint8_t *batch;
static size_t batch_cap, batch_used;
static uint32_t batch_count;
/* Set by SIGTERM/SIGINT, the end of control input or 'Q'. */
static volatile sig_atomic_t stop_requested;
/* --hold: set until the control byte 'G' releases the output. */
static int output_held;

/* ---- output ------------------------------------------------------------ */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Writes everything or exits: a reader that went away ends the capture, and
 * so does one that takes nothing for STOP_DRAIN_MS while the program stops
 * (stdout is non-blocking so that the wait can end: a signal cannot end a
 * blocking write the reader never makes room for).
 */
static void write_all(const void *data, size_t len) {
  static long long blocked_since = -1;
  const uint8_t *p = data;
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, p, len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      int again = errno == EAGAIN;
      if (stop_requested) {
        long long now = now_ms();
        if (blocked_since < 0) blocked_since = now;
        else if (now - blocked_since >= STOP_DRAIN_MS) _exit(EXIT_CAPTURE);
      }
      if (again) {
        struct pollfd w = {STDOUT_FILENO, POLLOUT, 0};
        poll(&w, 1, 100);
      }
      continue;
    }
    if (n <= 0) _exit(EXIT_CAPTURE);
    blocked_since = -1;
    p += n;
    len -= (size_t)n;
  }
}

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/*
 * Waits for the control byte 'G' before the first message of a held output.
 * Reads one byte only, so commands after it stay for the main loop. Ends the
 * program, writing nothing, when control input ends first, another byte comes
 * or a signal asks it to stop.
 */
static void release_output(void) {
  for (;;) {
    char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR && !stop_requested) continue;
    if (n == 1 && c == 'G') break;
    _exit(n == 1 ? EXIT_USAGE : EXIT_CAPTURE);
  }
  output_held = 0;
}

static void send_message(uint32_t type, const void *payload, uint32_t len) {
  if (output_held) release_output();
  uint8_t head[8];
  put_u32(head, type);
  put_u32(head + 4, len);
  write_all(head, sizeof head);
  if (len > 0) write_all(payload, len);
}

/* A bounded JSON text builder: output past the bound is dropped, never overflows. */
struct json {
  char buf[JSON_MAX];
  size_t len;
};

static void json_raw(struct json *j, const char *fmt, ...) {
  if (j->len >= sizeof j->buf - 1) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(j->buf + j->len, sizeof j->buf - j->len, fmt, ap);
  va_end(ap);
  if (n > 0) j->len += (size_t)n < sizeof j->buf - j->len ? (size_t)n : sizeof j->buf - 1 - j->len;
}

static void json_str(struct json *j, const char *s) {
  if (s == NULL) {
    json_raw(j, "null");
    return;
  }
  json_raw(j, "\"");
  for (; *s != '\0' && j->len < sizeof j->buf - 8; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') json_raw(j, "\\%c", c);
    else if (c < 0x20 || c == 0x7f) json_raw(j, "\\u%04x", c);
    else j->buf[j->len++] = (char)c;
  }
  j->buf[j->len] = '\0';
  json_raw(j, "\"");
}

/* ERROR message; `index` is -1 when the error concerns no one interface. */
static void send_error(int index, const char *code, int fatal, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  struct json j = {.len = 0};
  json_raw(&j, "{\"iface\":");
  json_str(&j, index >= 0 ? ifaces[index].name : NULL);
  json_raw(&j, ",\"index\":%d,\"code\":", index);
  json_str(&j, code);
  json_raw(&j, ",\"fatal\":%s,\"message\":", fatal ? "true" : "false");
  json_str(&j, text);
  json_raw(&j, "}");
  send_message(M_ERROR, j.buf, (uint32_t)j.len);
}

static void flush_batch(void) {
  if (batch_count == 0) return;
  put_u32(batch, M_BATCH);
  put_u32(batch + 4, (uint32_t)(batch_used - 8));
  put_u32(batch + 8, batch_count);
  put_u32(batch + 12, 0);
  write_all(batch, batch_used);
  batch_used = BATCH_HEADER;
  batch_count = 0;
}

static void read_stats(struct iface *f) {
  struct pcap_stat st;
  if (f->closed || pcap_stats(f->p, &st) != 0) return;
  f->received = st.ps_recv;
  f->kernel_drops = st.ps_drop;
  f->if_drops = st.ps_ifdrop;
  f->stats_valid = 1;
}

static void send_stats(void) {
  uint8_t buf[8 + MAX_IFACES * 40];
  put_u32(buf, (uint32_t)n_ifaces);
  put_u32(buf + 4, 0);
  for (int i = 0; i < n_ifaces; i++) {
    struct iface *f = &ifaces[i];
    uint8_t *e = buf + 8 + i * 40;
    read_stats(f);
    put_u32(e, (uint32_t)i);
    put_u32(e + 4, (f->stats_valid ? 1u : 0u) | (f->closed ? 2u : 0u));
    put_u64(e + 8, f->received);
    put_u64(e + 16, f->kernel_drops);
    put_u64(e + 24, f->if_drops);
    put_u64(e + 32, 0); /* program drops: a record always fits an empty batch */
  }
  send_message(M_STATS, buf, (uint32_t)(8 + n_ifaces * 40));
}

/* ---- packets ----------------------------------------------------------- */

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  const struct iface *f = (const struct iface *)user;
  size_t caplen = h->caplen;
  size_t need = (RECORD_HEADER + caplen + 7) & ~(size_t)7;
  if (batch_used + need > batch_cap) flush_batch();
  uint8_t *r = batch + batch_used;
  int64_t sec = (int64_t)h->ts.tv_sec;
  uint32_t frac = f->nano ? (uint32_t)h->ts.tv_usec : (uint32_t)h->ts.tv_usec * 1000u;
  put_u32(r, (uint32_t)caplen);
  put_u32(r + 4, h->len);
  put_u32(r + 8, (uint32_t)((uint64_t)sec & 0xffffffffu));
  put_u32(r + 12, (uint32_t)((uint64_t)sec >> 32));
  put_u32(r + 16, frac);
  put_u32(r + 20, (uint32_t)(f - ifaces));
  memcpy(r + RECORD_HEADER, bytes, caplen);
  memset(r + RECORD_HEADER + caplen, 0, need - RECORD_HEADER - caplen);
  batch_used += need;
  batch_count++;
}

/* ---- opening ----------------------------------------------------------- */

static const char *code_for(int status) {
  switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE: return "ENODEV";
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED: return "EPERM";
    case PCAP_ERROR_IFACE_NOT_UP: return "ENETDOWN";
    default: return "EPCAP";
  }
}

/* Opens one interface; on failure fills code and text and returns -1. */
static int open_iface(struct iface *f, const struct options *o, const char **code, char *text, size_t text_len) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  /* Network interfaces only (and "any"): not the D-Bus, USB or netfilter sources libpcap also knows. */
  if (strcmp(f->name, "any") != 0 && if_nametoindex(f->name) == 0) {
    *code = "ENODEV";
    snprintf(text, text_len, "cannot capture on %s: no such network interface", f->name);
    return -1;
  }
  f->p = pcap_create(f->name, errbuf);
  if (f->p == NULL) {
    *code = "EPCAP";
    snprintf(text, text_len, "cannot open %s: %s", f->name, errbuf);
    return -1;
  }
  pcap_set_snaplen(f->p, (int)o->snaplen);
  pcap_set_promisc(f->p, o->promisc);
  pcap_set_buffer_size(f->p, (int)(o->buffer_mib * 1024 * 1024));
  /* Immediate mode off: the kernel fills ring blocks and the timeout retires a partly filled one. */
  pcap_set_immediate_mode(f->p, 0);
  pcap_set_timeout(f->p, (int)o->timeout_ms);
  pcap_set_tstamp_precision(f->p, PCAP_TSTAMP_PRECISION_NANO);
  int status = pcap_activate(f->p);
  if (status < 0) {
    const char *detail = pcap_geterr(f->p);
    *code = code_for(status);
    snprintf(text, text_len, "cannot capture on %s: %s", f->name, detail[0] != '\0' ? detail : pcap_statustostr(status));
    pcap_close(f->p);
    f->p = NULL;
    return -1;
  }
  if (status > 0) snprintf(f->warning, sizeof f->warning, "%s", pcap_geterr(f->p));
  f->link_type = pcap_datalink(f->p);
  f->nano = pcap_get_tstamp_precision(f->p) == PCAP_TSTAMP_PRECISION_NANO;
  if (o->bpf != NULL && o->bpf[0] != '\0') {
    struct bpf_program prog;
    if (pcap_compile(f->p, &prog, o->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      *code = "EBPF";
      snprintf(text, text_len, "invalid capture filter '%s': %s", o->bpf, pcap_geterr(f->p));
      return -1;
    }
    int rc = pcap_setfilter(f->p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
      *code = "EBPF";
      snprintf(text, text_len, "cannot apply capture filter '%s': %s", o->bpf, pcap_geterr(f->p));
      return -1;
    }
  }
  if (!o->probe) {
    if (pcap_setnonblock(f->p, 1, errbuf) != 0) {
      *code = "EPCAP";
      snprintf(text, text_len, "cannot make the capture on %s non-blocking: %s", f->name, errbuf);
      return -1;
    }
    f->fd = pcap_get_selectable_fd(f->p);
    if (f->fd < 0) {
      *code = "ENOTSUP";
      snprintf(text, text_len, "%s has no pollable descriptor", f->name);
      return -1;
    }
  }
  return 0;
}

/* ---- privileges -------------------------------------------------------- */

/* A decimal id from sudo or pkexec: digits only, not 0, below 2^31. */
static int parse_id(const char *s, unsigned long *out) {
  if (s == NULL || *s == '\0' || strlen(s) > 10) return -1;
  for (const char *c = s; *c != '\0'; c++)
    if (*c < '0' || *c > '9') return -1;
  unsigned long v = strtoul(s, NULL, 10);
  if (v == 0 || v > INT_MAX) return -1;
  *out = v;
  return 0;
}

/* Whom to become when started as root: the user who ran sudo (SUDO_UID, SUDO_GID) or pkexec (PKEXEC_UID). */
static struct invoker find_invoker(void) {
  struct invoker inv = {0, 0, 0};
  unsigned long uid, gid;
  if (parse_id(getenv("SUDO_UID"), &uid) == 0) {
    struct passwd *pw = getpwuid((uid_t)uid);
    if (parse_id(getenv("SUDO_GID"), &gid) != 0) gid = pw != NULL ? pw->pw_gid : uid;
    inv = (struct invoker){1, (uid_t)uid, (gid_t)gid};
  } else if (parse_id(getenv("PKEXEC_UID"), &uid) == 0) {
    struct passwd *pw = getpwuid((uid_t)uid);
    inv = (struct invoker){1, (uid_t)uid, pw != NULL ? pw->pw_gid : (gid_t)uid};
  }
  return inv;
}

#ifdef __linux__
static int capabilities_held(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  if (syscall(SYS_capget, &hdr, data) != 0) return -1;
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
    if (data[i].effective != 0 || data[i].permitted != 0 || data[i].inheritable != 0) return 1;
  return 0;
}
#endif

/*
 * Gives up every privilege for good: root becomes the invoking user (only its
 * primary group), then no_new_privs keeps execve from granting any, and the
 * capability sets are emptied. Returns the outcome's name, or NULL with
 * `why` filled when a step failed.
 */
static const char *drop_privileges(const struct invoker *inv, char *why, size_t why_len) {
  const char *outcome = "unprivileged";
  if (getuid() == 0 || geteuid() == 0) {
    if (!inv->present) {
      outcome = "root-without-capabilities";
    } else {
      gid_t g = inv->gid;
      if (setgroups(1, &g) != 0 || setgid(inv->gid) != 0 || setuid(inv->uid) != 0) {
        snprintf(why, why_len, "cannot switch to uid %u: %s", (unsigned)inv->uid, strerror(errno));
        return NULL;
      }
      uid_t r, e, s;
      gid_t rg, eg, sg;
      if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 || r != inv->uid || e != inv->uid ||
          s != inv->uid || rg != inv->gid || eg != inv->gid || sg != inv->gid || setuid(0) == 0) {
        snprintf(why, why_len, "the switch to uid %u did not take effect", (unsigned)inv->uid);
        return NULL;
      }
      outcome = "dropped-root";
    }
  }
#ifdef __linux__
  int had = capabilities_held();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    snprintf(why, why_len, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
    return NULL;
  }
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];
  memset(none, 0, sizeof none);
  if (syscall(SYS_capset, &hdr, none) != 0) {
    snprintf(why, why_len, "capset: %s", strerror(errno));
    return NULL;
  }
  /* Ambient capabilities go with the permitted set; the bounding set would need CAP_SETPCAP. */
  if (capabilities_held() != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
    snprintf(why, why_len, "capabilities are still held after dropping them");
    return NULL;
  }
  if (had == 1 && strcmp(outcome, "unprivileged") == 0) outcome = "dropped-capabilities";
#endif
  return outcome;
}

/* ---- arguments --------------------------------------------------------- */

static int parse_long(const char *s, long min, long max, long *out) {
  if (s == NULL || *s == '\0' || strlen(s) > 12) return -1;
  for (const char *c = s; *c != '\0'; c++)
    if (*c < '0' || *c > '9') return -1;
  long v = strtol(s, NULL, 10);
  if (v < min || v > max) return -1;
  *out = v;
  return 0;
}

/* Fills `o`; returns NULL, or the reason the command line is refused. */
static const char *parse_args(int argc, char **argv, struct options *o, char *why, size_t why_len) {
  *o = (struct options){.snaplen = 262144, .buffer_mib = 32, .timeout_ms = 100, .batch_kib = 1024, .stats_ms = 1000, .promisc = 1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    long *num = NULL;
    long min = 0, max = 0;
    if (strcmp(a, "--no-promisc") == 0) o->promisc = 0;
    else if (strcmp(a, "--probe") == 0) o->probe = 1;
    else if (strcmp(a, "--hold") == 0) o->hold = 1;
    else if (strcmp(a, "--iface") == 0) {
      if (v == NULL || v[0] == '\0' || strlen(v) >= IF_NAMESIZE) return "--iface needs an interface name of 1 to 15 bytes";
      if (o->n_ifaces == MAX_IFACES) return "at most 16 interfaces";
      for (int k = 0; k < o->n_ifaces; k++)
        if (strcmp(o->ifaces[k], v) == 0) return "an interface is named twice";
      o->ifaces[o->n_ifaces++] = v;
      i++;
    } else if (strcmp(a, "--bpf") == 0) {
      if (v == NULL || strlen(v) > MAX_BPF) return "--bpf needs a filter of at most 8192 bytes";
      o->bpf = v;
      i++;
    } else if (strcmp(a, "--snaplen") == 0) num = &o->snaplen, min = 1, max = 262144;
    else if (strcmp(a, "--buffer-mib") == 0) num = &o->buffer_mib, min = 1, max = 2047;
    else if (strcmp(a, "--timeout-ms") == 0) num = &o->timeout_ms, min = 1, max = 10000;
    else if (strcmp(a, "--batch-kib") == 0) num = &o->batch_kib, min = 64, max = 16384;
    else if (strcmp(a, "--stats-ms") == 0) num = &o->stats_ms, min = 50, max = 60000;
    else {
      snprintf(why, why_len, "unknown option '%.64s'", a);
      return why;
    }
    if (num != NULL) {
      if (parse_long(v, min, max, num) != 0) {
        snprintf(why, why_len, "%s needs an integer from %ld to %ld", a, min, max);
        return why;
      }
      i++;
    }
  }
  if (o->n_ifaces == 0) return "at least one --iface is needed";
  if ((size_t)o->batch_kib * 1024 < BATCH_HEADER + RECORD_HEADER + (size_t)o->snaplen + 8)
    return "--batch-kib must hold one packet of --snaplen bytes";
  return NULL;
}

/* ---- main loop --------------------------------------------------------- */

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/*
 * Asks the kernel for SIGTERM when the parent goes, however it goes (SIGKILL
 * included), so no capture outlives the process that started it. A change of
 * credentials clears the request: it is made again after dropping privileges.
 */
static void end_with_parent(pid_t parent) {
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
#endif
  if (getppid() != parent) stop_requested = 1; /* the parent went before the request */
}

static void send_opened(const char *privileges, const char *const probe_errors[][2]) {
  struct json j = {.len = 0};
  json_raw(&j, "{\"protocol\":%d,\"version\":", PROTOCOL);
  json_str(&j, NETMON_CAPTURE_VERSION);
  json_raw(&j, ",\"libpcap\":");
  json_str(&j, pcap_lib_version());
  json_raw(&j, ",\"privileges\":");
  json_str(&j, privileges);
  json_raw(&j, ",\"uid\":%u,\"interfaces\":[", (unsigned)geteuid());
  for (int i = 0; i < n_ifaces; i++) {
    const struct iface *f = &ifaces[i];
    int ok = probe_errors == NULL || probe_errors[i][0] == NULL;
    json_raw(&j, "%s{\"name\":", i > 0 ? "," : "");
    json_str(&j, f->name);
    if (ok) {
      json_raw(&j, ",\"ok\":true,\"linkType\":%d,\"linkTypeName\":", f->link_type);
      json_str(&j, pcap_datalink_val_to_name(f->link_type));
      json_raw(&j, ",\"nano\":%s,\"warning\":", f->nano ? "true" : "false");
      json_str(&j, f->warning[0] != '\0' ? f->warning : NULL);
    } else {
      json_raw(&j, ",\"ok\":false,\"code\":");
      json_str(&j, probe_errors[i][0]);
      json_raw(&j, ",\"error\":");
      json_str(&j, probe_errors[i][1]);
    }
    json_raw(&j, "}");
  }
  json_raw(&j, "]}");
  send_message(M_OPENED, j.buf, (uint32_t)j.len);
}

static void close_iface(int i) {
  read_stats(&ifaces[i]);
  ifaces[i].closed = 1;
  pcap_close(ifaces[i].p);
  ifaces[i].p = NULL;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("netmon-capture %s protocol %d\n", NETMON_CAPTURE_VERSION, PROTOCOL);
    return EXIT_OK;
  }
  /* Read who ran sudo, then forget the caller's environment: nothing below consults it. */
  struct invoker inv = find_invoker();
  clearenv();
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  pid_t parent = getppid();
  end_with_parent(parent);

  struct options o;
  char why[256];
  const char *bad = parse_args(argc, argv, &o, why, sizeof why);
  if (bad != NULL) {
    if (!isatty(STDOUT_FILENO)) send_error(-1, "EINVAL", 1, "%s", bad);
    fprintf(stderr, "netmon-capture: %s\n", bad);
    return EXIT_USAGE;
  }
  if (isatty(STDOUT_FILENO)) {
    fprintf(stderr, "netmon-capture: writes binary batches for Netmon's capture helper; stdout must not be a terminal\n");
    return EXIT_USAGE;
  }
  output_held = o.hold;
  int out_flags = fcntl(STDOUT_FILENO, F_GETFL);
  if (out_flags >= 0) fcntl(STDOUT_FILENO, F_SETFL, out_flags | O_NONBLOCK);

  n_ifaces = o.n_ifaces;
  static const char *probe_errors[MAX_IFACES][2];
  static char probe_text[MAX_IFACES][512];
  for (int i = 0; i < n_ifaces; i++) {
    const char *code = NULL;
    ifaces[i].name = o.ifaces[i];
    ifaces[i].fd = -1;
    if (open_iface(&ifaces[i], &o, &code, probe_text[i], sizeof probe_text[i]) == 0) continue;
    if (ifaces[i].p != NULL) close_iface(i);
    if (o.probe) {
      ifaces[i].closed = 1;
      probe_errors[i][0] = code;
      probe_errors[i][1] = probe_text[i];
      continue;
    }
    for (int k = 0; k < i; k++) close_iface(k);
    send_error(i, code, 1, "%s", probe_text[i]);
    return strcmp(code, "EBPF") == 0 ? EXIT_USAGE : EXIT_CAPTURE;
  }

  const char *privileges = drop_privileges(&inv, why, sizeof why);
  if (privileges == NULL) {
    send_error(-1, "EPERM", 1, "cannot give up capture rights: %s", why);
    return EXIT_CAPTURE;
  }
  end_with_parent(parent);
  if (stop_requested) return EXIT_CAPTURE;
  send_opened(privileges, o.probe ? (const char *const(*)[2])probe_errors : NULL);
  if (o.probe) return EXIT_OK;

  batch_cap = (size_t)o.batch_kib * 1024;
  batch = malloc(batch_cap);
  if (batch == NULL) {
    send_error(-1, "ENOMEM", 1, "cannot allocate a batch buffer of %ld KiB", o.batch_kib);
    return EXIT_CAPTURE;
  }
  batch_used = BATCH_HEADER;

  struct pollfd fds[MAX_IFACES + 1];
  fds[0] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
  for (int i = 0; i < n_ifaces; i++) fds[i + 1] = (struct pollfd){ifaces[i].fd, POLLIN, 0};
  int open_count = n_ifaces, status = EXIT_OK;
  long long next_stats = now_ms() + o.stats_ms, stop_at = -1;

  for (;;) {
    long long now = now_ms();
    /* Stopping waits one ring timeout more, so the packets of a partly filled block arrive too. */
    if (stop_at < 0 && (stop_requested || open_count == 0)) stop_at = open_count == 0 ? now : now + o.timeout_ms + 50;
    if (stop_at >= 0 && now >= stop_at) break;
    long long wake = stop_at >= 0 && stop_at < next_stats ? stop_at : next_stats;
    int rc = poll(fds, (nfds_t)n_ifaces + 1, wake > now ? (int)(wake - now) : 0);
    if (rc < 0 && errno != EINTR) {
      send_error(-1, "EPCAP", 1, "poll: %s", strerror(errno));
      status = EXIT_CAPTURE;
      break;
    }
    if (rc > 0 && fds[0].revents != 0) {
      char cmd[64];
      ssize_t n = read(STDIN_FILENO, cmd, sizeof cmd);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[0].fd = -1; /* end of control input: stop */
        stop_requested = 1;
      }
      for (ssize_t k = 0; k < n; k++) {
        if (cmd[k] == 'S') {
          flush_batch();
          send_stats();
        } else if (cmd[k] == 'Q') {
          fds[0].fd = -1; /* nothing after Q is read */
          stop_requested = 1;
          break;
        } else {
          send_error(-1, "EPROTO", 1, "unknown control byte 0x%02x", (unsigned char)cmd[k]);
          fds[0].fd = -1;
          stop_requested = 1;
          status = EXIT_USAGE;
          break;
        }
      }
    }
    for (int i = 0; rc > 0 && i < n_ifaces; i++) {
      if (fds[i + 1].fd < 0 || fds[i + 1].revents == 0) continue;
      int n = pcap_dispatch(ifaces[i].p, -1, on_packet, (u_char *)&ifaces[i]);
      if (n >= 0) continue;
      /* Typically the interface went away (ENETDOWN, ENXIO). */
      flush_batch();
      send_error(i, "ENODEV", 0, "capture on %s stopped: %s", ifaces[i].name, pcap_geterr(ifaces[i].p));
      close_iface(i);
      fds[i + 1].fd = -1;
      if (--open_count == 0) status = EXIT_CAPTURE;
    }
    flush_batch();
    if (now_ms() >= next_stats) {
      send_stats();
      next_stats = now_ms() + o.stats_ms;
    }
  }
  flush_batch();
  send_stats();
  send_message(M_END, NULL, 0);
  for (int i = 0; i < n_ifaces; i++)
    if (!ifaces[i].closed) close_iface(i);
  free(batch);
  return status;
}
