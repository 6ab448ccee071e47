#pragma once
#include <napi.h>

namespace netmon {
// dropCapabilities(): clears the effective, permitted and inheritable
// capability sets and sets no_new_privs, so neither this process nor any
// program it executes can gain privileges again (Linux only).
Napi::Value DropCapabilities(const Napi::CallbackInfo& info);
// setNoNewPrivs(): only the no_new_privs bit (Linux only).
Napi::Value SetNoNewPrivs(const Napi::CallbackInfo& info);
}  // namespace netmon
