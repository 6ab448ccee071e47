// netmon_sockets: one dump of the kernel's socket table through netlink
// sock_diag (INET_DIAG), which needs no privileges. The helper parses the
// returned messages itself (apps/sock-diag-parser.ts); this only asks and
// collects, so that no parsing of kernel bytes happens in native code.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#ifdef __linux__
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#endif

namespace {

#ifdef __linux__
// A dump larger than this is cut (and reported as such): 64 MiB holds about
// half a million sockets.
constexpr size_t kMaxDumpBytes = 64u << 20;

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// TCP states worth asking for: every state whose socket still has an owner
// (TIME_WAIT and NEW_SYN_RECV never have one, LISTEN never matches a flow).
constexpr unsigned kTcpStates = ~((1u << 6) | (1u << 10) | (1u << 12));

// One dump request to the kernel: a netlink header, then the request body.
template <typename Body>
bool SendDumpRequest(int fd, __u16 type, const Body& body) {
  struct {
    nlmsghdr header;
    Body body;
  } request;
  std::memset(&request, 0, sizeof request);
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = type;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.body = body;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  return sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) >= 0;
}
#endif

Napi::Value DumpSockets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef __linux__
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "dumpSockets(family, protocol)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int family = info[0].As<Napi::Number>().Int32Value();
  const int protocol = info[1].As<Napi::Number>().Int32Value();
  const bool bothFamilies = family == AF_UNSPEC && protocol == IPPROTO_TCP;
  if (!bothFamilies && ((family != AF_INET && family != AF_INET6) || (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP))) {
    Napi::RangeError::New(env, "dumpSockets: family AF_INET or AF_INET6 with TCP or UDP, or AF_UNSPEC with TCP").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Fd sock{socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)};
  auto fail = [&](const char* what) {
    Napi::Error::New(env, std::string("sock_diag ") + what + ": " + std::strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  if (sock.fd < 0) return fail("socket");
  timeval timeout{1, 0};
  setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  bool sent;
  if (family == AF_UNSPEC) {
    // The older TCPDIAG_GETSOCK request dumps IPv4 and IPv6 in one walk of
    // the kernel's connection hash; its cost is the size of that hash, not
    // the number of sockets, so one walk instead of two halves a dump.
    inet_diag_req body{};
    body.idiag_states = kTcpStates;
    sent = SendDumpRequest(sock.fd, TCPDIAG_GETSOCK, body);
  } else {
    inet_diag_req_v2 body{};
    body.sdiag_family = static_cast<__u8>(family);
    body.sdiag_protocol = static_cast<__u8>(protocol);
    body.idiag_states = protocol == IPPROTO_TCP ? kTcpStates : ~0u;
    sent = SendDumpRequest(sock.fd, SOCK_DIAG_BY_FAMILY, body);
  }
  if (!sent) return fail("send");

  std::vector<unsigned char> dump;
  std::vector<unsigned char> chunk(256 * 1024);
  bool done = false;
  bool cut = false;
  while (!done) {
    ssize_t n = recv(sock.fd, chunk.data(), chunk.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("recv");
    }
    if (n == 0) break;
    // Only the end of the dump is looked for here; the helper checks every message.
    for (size_t off = 0; off + sizeof(nlmsghdr) <= static_cast<size_t>(n);) {
      const nlmsghdr* h = reinterpret_cast<const nlmsghdr*>(chunk.data() + off);
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) done = true;
      if (h->nlmsg_len < sizeof(nlmsghdr)) break;
      off += NLMSG_ALIGN(h->nlmsg_len);
    }
    if (dump.size() + static_cast<size_t>(n) > kMaxDumpBytes) {
      cut = true;
      break;
    }
    dump.insert(dump.end(), chunk.begin(), chunk.begin() + n);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("bytes", Napi::Buffer<unsigned char>::Copy(env, dump.data(), dump.size()));
  result.Set("cut", Napi::Boolean::New(env, cut));
  return result;
#else
  Napi::Error::New(env, "sock_diag exists only on Linux").ThrowAsJavaScriptException();
  return env.Undefined();
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("dumpSockets", Napi::Function::New(env, DumpSockets, "dumpSockets"));
  return exports;
}

}  // namespace

NODE_API_MODULE(netmon_sockets, Init)
