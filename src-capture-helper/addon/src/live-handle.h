// A live libpcap handle that hands JS one batch of packed records per
// readiness event instead of one callback per packet.
#pragma once

#include <napi.h>
#include <pcap/pcap.h>
#include <uv.h>

#include <cstdint>

namespace netmon {

// Packed record layout in the batch buffer (little-endian host order, each
// record starts on an 8-byte boundary):
//   u32 caplen | u32 wire length | u32 ts seconds (low) | i32 ts seconds (high)
//   | u32 ts nanoseconds | u32 reserved | caplen bytes | padding to 8
constexpr size_t kRecordHeader = 24;

class LiveHandle : public Napi::ObjectWrap<LiveHandle> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit LiveHandle(const Napi::CallbackInfo& info);
  ~LiveHandle() override;

 private:
  Napi::Value SetFilter(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetLinkType(const Napi::CallbackInfo& info);
  Napi::Value GetNanoTimestamps(const Napi::CallbackInfo& info);
  Napi::Value GetWarning(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* poll, int status, int events);
  static void OnPacket(u_char* user, const struct pcap_pkthdr* hdr, const u_char* bytes);
  void Dispatch();
  void Flush();
  void ReportError(const std::string& message, const char* code);
  void ReleasePcap();

  pcap_t* pcap_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  Napi::Env env_;
  Napi::ObjectReference buffer_ref_;
  uint8_t* buf_ = nullptr;
  size_t buf_size_ = 0;
  size_t used_ = 0;
  uint32_t count_ = 0;
  Napi::FunctionReference on_batch_;
  Napi::FunctionReference on_error_;
  Napi::AsyncContext* async_context_ = nullptr;
  int link_type_ = 0;
  bool nano_ = false;
  std::string warning_;
  std::string iface_;
  bool dispatching_ = false;
  bool close_pending_ = false;
  bool failed_ = false;
  bool referenced_ = false;
  // Packets libpcap gave us that could not be stored (larger than the batch
  // buffer) or were discarded because JS failed while taking a batch.
  double helper_drops_ = 0;
};

}  // namespace netmon
