#pragma once
#include <napi.h>

namespace netmon {
// listInterfaces(): pcap_findalldevs with addresses and flags.
Napi::Value ListInterfaces(const Napi::CallbackInfo& info);
// probeInterface(name): opens and closes a handle to learn the link type and
// whether this process may capture there.
Napi::Value ProbeInterface(const Napi::CallbackInfo& info);
}  // namespace netmon
