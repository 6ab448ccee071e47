// netmon_pcap: the capture helper's libpcap batching addon.
#include <napi.h>
#include <pcap/pcap.h>

#include "interfaces.h"
#include "live-handle.h"
#include "privileges.h"

namespace {

Napi::Value LibVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), pcap_lib_version());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("LiveHandle", netmon::LiveHandle::Init(env));
  exports.Set("listInterfaces", Napi::Function::New(env, netmon::ListInterfaces, "listInterfaces"));
  exports.Set("probeInterface", Napi::Function::New(env, netmon::ProbeInterface, "probeInterface"));
  exports.Set("dropCapabilities", Napi::Function::New(env, netmon::DropCapabilities, "dropCapabilities"));
  exports.Set("setNoNewPrivs", Napi::Function::New(env, netmon::SetNoNewPrivs, "setNoNewPrivs"));
  exports.Set("libVersion", Napi::Function::New(env, LibVersion, "libVersion"));
  exports.Set("recordHeaderBytes", Napi::Number::New(env, netmon::kRecordHeader));
  return exports;
}

}  // namespace

NODE_API_MODULE(netmon_pcap, Init)
