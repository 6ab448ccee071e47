#include "interfaces.h"

#include <pcap/pcap.h>

#include <cstdio>
#include <string>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif
#ifdef __linux__
#include <netpacket/packet.h>
#endif

namespace netmon {

namespace {

// Returns the family name and fills `text`; empty family for unknown kinds.
std::string FormatAddress(const struct sockaddr* sa, std::string* text) {
  char buf[INET6_ADDRSTRLEN + 1] = {0};
  if (sa == nullptr) return "";
  switch (sa->sa_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const struct sockaddr_in*>(sa);
      inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
      *text = buf;
      return "IPv4";
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const struct sockaddr_in6*>(sa);
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
      *text = buf;
      return "IPv6";
    }
#ifdef __linux__
    case AF_PACKET: {
      const auto* ll = reinterpret_cast<const struct sockaddr_ll*>(sa);
      std::string mac;
      for (int i = 0; i < ll->sll_halen && i < 8; i++) {
        char part[4];
        std::snprintf(part, sizeof(part), i == 0 ? "%02x" : ":%02x", ll->sll_addr[i]);
        mac += part;
      }
      if (mac.empty()) return "";
      *text = mac;
      return "link";
    }
#endif
    default:
      return "";
  }
}

const char* ConnectionStatus(bpf_u_int32 flags) {
  switch (flags & PCAP_IF_CONNECTION_STATUS) {
    case PCAP_IF_CONNECTION_STATUS_CONNECTED: return "connected";
    case PCAP_IF_CONNECTION_STATUS_DISCONNECTED: return "disconnected";
    case PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE: return "not-applicable";
    default: return "unknown";
  }
}

}  // namespace

Napi::Value ListInterfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pcap_if_t* devs = nullptr;
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  if (pcap_findalldevs(&devs, errbuf) != 0) {
    Napi::Error::New(env, std::string("cannot list interfaces: ") + errbuf).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (pcap_if_t* d = devs; d != nullptr; d = d->next) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", d->name);
    o.Set("description", d->description != nullptr ? Napi::Value(Napi::String::New(env, d->description)) : env.Null());
    o.Set("loopback", Napi::Boolean::New(env, (d->flags & PCAP_IF_LOOPBACK) != 0));
    o.Set("up", Napi::Boolean::New(env, (d->flags & PCAP_IF_UP) != 0));
    o.Set("running", Napi::Boolean::New(env, (d->flags & PCAP_IF_RUNNING) != 0));
    o.Set("wireless", Napi::Boolean::New(env, (d->flags & PCAP_IF_WIRELESS) != 0));
    o.Set("connection", ConnectionStatus(d->flags));
    Napi::Array addrs = Napi::Array::New(env);
    uint32_t j = 0;
    for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
      std::string addr;
      const std::string family = FormatAddress(a->addr, &addr);
      if (family.empty()) continue;
      Napi::Object ao = Napi::Object::New(env);
      ao.Set("family", family);
      ao.Set("address", addr);
      std::string mask;
      ao.Set("netmask", FormatAddress(a->netmask, &mask).empty() ? Napi::Value(env.Null()) : Napi::String::New(env, mask));
      std::string bcast;
      ao.Set("broadcast",
             FormatAddress(a->broadaddr, &bcast).empty() ? Napi::Value(env.Null()) : Napi::String::New(env, bcast));
      addrs.Set(j++, ao);
    }
    o.Set("addresses", addrs);
    out.Set(i++, o);
  }
  pcap_freealldevs(devs);
  return out;
}

Napi::Value ProbeInterface(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "probeInterface needs an interface name").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  Napi::Object out = Napi::Object::New(env);
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* p = pcap_create(name.c_str(), errbuf);
  if (p == nullptr) {
    out.Set("ok", false);
    out.Set("error", errbuf);
    return out;
  }
  pcap_set_snaplen(p, 128);
  // A small ring: the probe only learns permissions and the link type.
  pcap_set_buffer_size(p, 65536);
  pcap_set_timeout(p, 100);
  const int status = pcap_activate(p);
  if (status < 0) {
    std::string detail = pcap_geterr(p);
    if (detail.empty()) detail = pcap_statustostr(status);
    out.Set("ok", false);
    out.Set("error", detail);
    out.Set("permissionDenied", Napi::Boolean::New(env, status == PCAP_ERROR_PERM_DENIED));
  } else {
    out.Set("ok", true);
    out.Set("linkType", Napi::Number::New(env, pcap_datalink(p)));
    const char* dlt = pcap_datalink_val_to_name(pcap_datalink(p));
    out.Set("linkTypeName", dlt != nullptr ? Napi::Value(Napi::String::New(env, dlt)) : env.Null());
  }
  pcap_close(p);
  return out;
}

}  // namespace netmon
