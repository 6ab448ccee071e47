// netmon_privileges: what Node cannot do itself when a Netmon process started
// as root through sudo becomes the invoking user: set no_new_privs, so that
// neither the process nor any program it runs can gain privileges again.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>

#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace {

Napi::Value SetNoNewPrivs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef __linux__
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    Napi::Error::New(env, std::string("prctl(PR_SET_NO_NEW_PRIVS): ") + std::strerror(errno)).ThrowAsJavaScriptException();
  }
#else
  Napi::Error::New(env, "no_new_privs exists only on Linux").ThrowAsJavaScriptException();
#endif
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setNoNewPrivs", Napi::Function::New(env, SetNoNewPrivs, "setNoNewPrivs"));
  return exports;
}

}  // namespace

NODE_API_MODULE(netmon_privileges, Init)
