#include "privileges.h"

#include <cerrno>
#include <cstring>
#include <string>

#ifdef __linux__
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace netmon {

namespace {

#ifndef __linux__
Napi::Value Unsupported(Napi::Env env) {
  Napi::Error err = Napi::Error::New(env, "capabilities exist only on Linux");
  err.Set("code", Napi::String::New(env, "ENOTSUP"));
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}
#endif

#ifdef __linux__
Napi::Value Fail(Napi::Env env, const char* what) {
  const int e = errno;
  Napi::Error err = Napi::Error::New(env, std::string(what) + ": " + std::strerror(e));
  err.Set("code", Napi::String::New(env, "EPERM"));
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}
#endif

}  // namespace

Napi::Value SetNoNewPrivs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef __linux__
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Fail(env, "prctl(PR_SET_NO_NEW_PRIVS)");
  return env.Undefined();
#else
  return Unsupported(env);
#endif
}

Napi::Value DropCapabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef __linux__
  // Without CAP_SETPCAP the bounding set cannot be shrunk; no_new_privs makes
  // execve ignore file capabilities and set-uid bits instead.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Fail(env, "prctl(PR_SET_NO_NEW_PRIVS)");
  struct __user_cap_header_struct hdr;
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  std::memset(&hdr, 0, sizeof(hdr));
  std::memset(data, 0, sizeof(data));
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  if (syscall(SYS_capset, &hdr, data) != 0) return Fail(env, "capset");
  // Ambient capabilities are cleared by the kernel when permitted is empty.
  return env.Undefined();
#else
  return Unsupported(env);
#endif
}

}  // namespace netmon
