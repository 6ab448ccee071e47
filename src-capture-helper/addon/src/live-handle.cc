#include "live-handle.h"

#include <cstring>
#include <string>

namespace netmon {

namespace {

const char* CodeFor(int status) {
  switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE: return "ENODEV";
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED: return "EPERM";
    case PCAP_ERROR_IFACE_NOT_UP: return "ENETDOWN";
    default: return "EPCAP";
  }
}

Napi::Error MakeError(Napi::Env env, const std::string& message, const char* code) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

uint32_t GetUint(const Napi::Object& o, const char* key, uint32_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : fallback;
}

}  // namespace

Napi::Function LiveHandle::Init(Napi::Env env) {
  return DefineClass(env, "LiveHandle",
                     {
                         InstanceMethod<&LiveHandle::SetFilter>("setFilter"),
                         InstanceMethod<&LiveHandle::Start>("start"),
                         InstanceMethod<&LiveHandle::Stats>("stats"),
                         InstanceMethod<&LiveHandle::Close>("close"),
                         InstanceAccessor<&LiveHandle::GetLinkType>("linkType"),
                         InstanceAccessor<&LiveHandle::GetNanoTimestamps>("nanoTimestamps"),
                         InstanceAccessor<&LiveHandle::GetWarning>("warning"),
                     });
}

// new LiveHandle({ iface, snaplen, promisc, bufferSize, timeoutMs, batchBytes })
// opens and activates the handle; errors carry libpcap's text and a code.
LiveHandle::LiveHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LiveHandle>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "LiveHandle needs an options object").ThrowAsJavaScriptException();
    return;
  }
  Napi::Object opts = info[0].As<Napi::Object>();
  Napi::Value iface = opts.Get("iface");
  if (!iface.IsString()) {
    Napi::TypeError::New(env, "options.iface must be a string").ThrowAsJavaScriptException();
    return;
  }
  const std::string name = iface.As<Napi::String>().Utf8Value();
  iface_ = name;
  const uint32_t snaplen = GetUint(opts, "snaplen", 262144);
  const bool promisc = opts.Get("promisc").ToBoolean().Value();
  const uint32_t buffer_size = GetUint(opts, "bufferSize", 32u << 20);
  const uint32_t timeout_ms = GetUint(opts, "timeoutMs", 100);
  const uint32_t batch_bytes = GetUint(opts, "batchBytes", 4u << 20);
  if (batch_bytes < 65536 + kRecordHeader) {
    Napi::RangeError::New(env, "options.batchBytes must be at least 65560").ThrowAsJavaScriptException();
    return;
  }

  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_ = pcap_create(name.c_str(), errbuf);
  if (pcap_ == nullptr) {
    MakeError(env, std::string("cannot open ") + name + ": " + errbuf, "EPCAP").ThrowAsJavaScriptException();
    return;
  }
  pcap_set_snaplen(pcap_, static_cast<int>(snaplen));
  pcap_set_promisc(pcap_, promisc ? 1 : 0);
  pcap_set_buffer_size(pcap_, static_cast<int>(buffer_size));
  // Immediate mode off: the kernel fills whole ring blocks and the timeout
  // retires a partly filled block, which bounds the delay of a trickle.
  pcap_set_immediate_mode(pcap_, 0);
  pcap_set_timeout(pcap_, static_cast<int>(timeout_ms));
  nano_ = pcap_set_tstamp_precision(pcap_, PCAP_TSTAMP_PRECISION_NANO) == 0;
  const int status = pcap_activate(pcap_);
  if (status < 0) {
    std::string detail = pcap_geterr(pcap_);
    if (detail.empty()) detail = pcap_statustostr(status);
    const std::string message = std::string("cannot capture on ") + name + ": " + detail;
    ReleasePcap();
    MakeError(env, message, CodeFor(status)).ThrowAsJavaScriptException();
    return;
  }
  if (status > 0) warning_ = pcap_geterr(pcap_);
  link_type_ = pcap_datalink(pcap_);
  nano_ = pcap_get_tstamp_precision(pcap_) == PCAP_TSTAMP_PRECISION_NANO;

  // The batch buffer is a Node-owned Buffer (not an external one), so it also
  // works where V8's memory cage forbids external buffers.
  Napi::Buffer<uint8_t> buffer = Napi::Buffer<uint8_t>::New(env, batch_bytes);
  buf_ = buffer.Data();
  buf_size_ = buffer.Length();
  buffer_ref_ = Napi::Persistent(buffer.As<Napi::Object>());
}

LiveHandle::~LiveHandle() {
  ReleasePcap();
  delete async_context_;
}

void LiveHandle::ReleasePcap() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (pcap_ != nullptr) {
    pcap_close(pcap_);
    pcap_ = nullptr;
  }
}

Napi::Value LiveHandle::SetFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (pcap_ == nullptr) {
    MakeError(env, "the capture handle is closed", "ECLOSED").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "setFilter needs a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string filter = info[0].As<Napi::String>().Utf8Value();
  struct bpf_program prog;
  if (pcap_compile(pcap_, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    MakeError(env, std::string("invalid capture filter '") + filter + "': " + pcap_geterr(pcap_), "EBPF")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int rc = pcap_setfilter(pcap_, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    MakeError(env, std::string("cannot apply capture filter '") + filter + "': " + pcap_geterr(pcap_), "EBPF")
        .ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// start(onBatch(buffer, count, usedBytes), onError(message, code)): poll the
// selectable fd on the libuv loop and dispatch everything ready.
Napi::Value LiveHandle::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (pcap_ == nullptr) {
    MakeError(env, "the capture handle is closed", "ECLOSED").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (poll_ != nullptr) {
    MakeError(env, "the capture is already started", "EBUSY").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "start(onBatch, onError) needs two functions").ThrowAsJavaScriptException();
    return env.Undefined();
  }
#ifdef _WIN32
  MakeError(env, "the batching capture path is not available on Windows yet; use the cap path", "ENOTSUP")
      .ThrowAsJavaScriptException();
  return env.Undefined();
#else
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  if (pcap_setnonblock(pcap_, 1, errbuf) != 0) {
    MakeError(env, std::string("cannot make the capture non-blocking: ") + errbuf, "EPCAP").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int fd = pcap_get_selectable_fd(pcap_);
  if (fd < 0) {
    MakeError(env, "this capture device has no pollable descriptor", "ENOTSUP").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  poll_ = new uv_poll_t;
  if (uv_poll_init(loop, poll_, fd) != 0) {
    delete poll_;
    poll_ = nullptr;
    MakeError(env, "cannot poll the capture descriptor", "EPCAP").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  poll_->data = this;
  on_batch_ = Napi::Persistent(info[0].As<Napi::Function>());
  on_error_ = Napi::Persistent(info[1].As<Napi::Function>());
  async_context_ = new Napi::AsyncContext(env, "netmon:pcap");
  // Keep the JS object alive while the loop may call back into it.
  Ref();
  referenced_ = true;
  uv_poll_start(poll_, UV_READABLE, OnPoll);
  return env.Undefined();
#endif
}

void LiveHandle::OnPoll(uv_poll_t* poll, int status, int /*events*/) {
  LiveHandle* self = static_cast<LiveHandle*>(poll->data);
  Napi::HandleScope scope(self->env_);
  if (status < 0) {
    // The socket fails this way when its interface is removed.
    self->ReportError(std::string("capture on ") + self->iface_ + " stopped: the interface went away or failed (" +
                          uv_strerror(status) + ")",
                      "ENODEV");
    return;
  }
  self->Dispatch();
}

void LiveHandle::Dispatch() {
  if (pcap_ == nullptr || failed_) return;
  dispatching_ = true;
  const int n = pcap_dispatch(pcap_, -1, OnPacket, reinterpret_cast<u_char*>(this));
  dispatching_ = false;
  if (!close_pending_ && !failed_) Flush();
  if (close_pending_) {
    ReleasePcap();
    return;
  }
  if (n == PCAP_ERROR && pcap_ != nullptr && !failed_) {
    // Typically ENETDOWN/ENXIO when the interface goes away.
    ReportError(std::string("capture on ") + iface_ + " stopped: " + pcap_geterr(pcap_), "ENODEV");
  }
}

void LiveHandle::OnPacket(u_char* user, const struct pcap_pkthdr* hdr, const u_char* bytes) {
  LiveHandle* self = reinterpret_cast<LiveHandle*>(user);
  if (self->close_pending_ || self->failed_) return;
  const size_t caplen = hdr->caplen;
  const size_t need = (kRecordHeader + caplen + 7) & ~static_cast<size_t>(7);
  if (need > self->buf_size_) {
    self->helper_drops_ += 1;
    return;
  }
  if (self->used_ + need > self->buf_size_) {
    self->Flush();
    if (self->close_pending_ || self->failed_) {
      pcap_breakloop(self->pcap_);
      return;
    }
  }
  uint8_t* p = self->buf_ + self->used_;
  const int64_t sec = static_cast<int64_t>(hdr->ts.tv_sec);
  const uint32_t frac = self->nano_ ? static_cast<uint32_t>(hdr->ts.tv_usec)
                                    : static_cast<uint32_t>(hdr->ts.tv_usec) * 1000u;
  const uint32_t head[6] = {
      static_cast<uint32_t>(caplen),
      static_cast<uint32_t>(hdr->len),
      static_cast<uint32_t>(static_cast<uint64_t>(sec) & 0xffffffffu),
      static_cast<uint32_t>(static_cast<uint64_t>(sec) >> 32),
      frac,
      0,
  };
  std::memcpy(p, head, sizeof(head));
  std::memcpy(p + kRecordHeader, bytes, caplen);
  self->used_ += need;
  self->count_ += 1;
}

void LiveHandle::Flush() {
  if (count_ == 0) return;
  const uint32_t count = count_;
  const size_t used = used_;
  count_ = 0;
  used_ = 0;
  Napi::Env env = env_;
  Napi::HandleScope scope(env);
  on_batch_.MakeCallback(Value(),
                         {buffer_ref_.Value(), Napi::Number::New(env, count), Napi::Number::New(env, static_cast<double>(used))},
                         *async_context_);
  if (env.IsExceptionPending()) {
    // The JS side catches its own errors; anything left is a bug that must
    // surface as an uncaught exception rather than vanish.
    Napi::Error err = env.GetAndClearPendingException();
    failed_ = true;
    if (dispatching_ && pcap_ != nullptr) pcap_breakloop(pcap_);
    napi_fatal_exception(env, err.Value());
  }
}

void LiveHandle::ReportError(const std::string& message, const char* code) {
  failed_ = true;
  if (poll_ != nullptr) uv_poll_stop(poll_);
  Napi::Env env = env_;
  Napi::HandleScope scope(env);
  on_error_.MakeCallback(Value(), {Napi::String::New(env, message), Napi::String::New(env, code)}, *async_context_);
  if (env.IsExceptionPending()) {
    Napi::Error err = env.GetAndClearPendingException();
    napi_fatal_exception(env, err.Value());
  }
}

Napi::Value LiveHandle::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("helperDrops", Napi::Number::New(env, helper_drops_));
  if (pcap_ == nullptr) return out;
  struct pcap_stat st;
  std::memset(&st, 0, sizeof(st));
  if (pcap_stats(pcap_, &st) != 0) {
    MakeError(env, std::string("cannot read capture statistics: ") + pcap_geterr(pcap_), "EPCAP")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  out.Set("received", Napi::Number::New(env, st.ps_recv));
  out.Set("kernelDrops", Napi::Number::New(env, st.ps_drop));
  out.Set("interfaceDrops", Napi::Number::New(env, st.ps_ifdrop));
  return out;
}

// close() is safe at any time, also from inside onBatch: the handle is then
// released once pcap_dispatch has returned.
Napi::Value LiveHandle::Close(const Napi::CallbackInfo& info) {
  close_pending_ = true;
  if (dispatching_) {
    if (pcap_ != nullptr) pcap_breakloop(pcap_);
    if (poll_ != nullptr) uv_poll_stop(poll_);
  } else {
    ReleasePcap();
  }
  if (referenced_) {
    referenced_ = false;
    Unref();
  }
  return info.Env().Undefined();
}

Napi::Value LiveHandle::GetLinkType(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), link_type_);
}

Napi::Value LiveHandle::GetNanoTimestamps(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), nano_);
}

Napi::Value LiveHandle::GetWarning(const Napi::CallbackInfo& info) {
  return warning_.empty() ? info.Env().Null() : Napi::String::New(info.Env(), warning_);
}

}  // namespace netmon
