#include "daemon/notify/curl_easy.h"

#include <curl/curl.h>

#include <mutex>

namespace vigil::notify::detail {
namespace {

int on_progress(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::stop_token*>(data);
  return abort != nullptr && abort->stop_requested() ? 1 : 0;
}

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

void EasyDeleter::operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
void SlistDeleter::operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }

Easy new_easy(const std::string& ca_file, long connect_timeout_ms, long timeout_ms,
              const std::stop_token* abort, char* error_buffer) {
  init_once();
  Easy h(curl_easy_init());
  if (!h) return h;
  CURL* e = h.get();
  error_buffer[0] = '\0';
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, const_cast<std::stop_token*>(abort));
  return h;
}

bool append(Slist& list, const std::string& item) {
  curl_slist* grown = curl_slist_append(list.get(), item.c_str());
  if (grown == nullptr) return false;
  static_cast<void>(list.release());  // now owned through `grown`
  list.reset(grown);
  return true;
}

std::string describe(int curl_code, const char* error_buffer) {
  std::string out = curl_easy_strerror(static_cast<CURLcode>(curl_code));
  if (error_buffer != nullptr && error_buffer[0] != '\0') {
    out += ": ";
    out += error_buffer;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  }
  return out;
}

}  // namespace vigil::notify::detail
