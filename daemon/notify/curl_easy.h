#pragma once
// Internal to daemon/notify: what the SMTP and webhook channels share about
// libcurl. curl.h stays behind this header's .cc and the channels' .cc files.

#include <memory>
#include <stop_token>
#include <string>

typedef void CURL;  // NOLINT(modernize-use-using): as curl.h declares it
struct curl_slist;

namespace vigil::notify::detail {

struct EasyDeleter {
  void operator()(CURL* h) const noexcept;
};
struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept;
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// A new handle after curl_global_init (once per process), with the settings
// every delivery shares: no signals, TLS 1.2 or later with peer and host
// verification (plus `ca_file` when not empty), the timeouts, an error
// buffer, and a progress callback that aborts the transfer once `abort` is
// requested. `abort` and `error_buffer` must outlive the transfer.
Easy new_easy(const std::string& ca_file, long connect_timeout_ms, long timeout_ms,
              const std::stop_token* abort, char* error_buffer);

// Appends to a list; false when out of memory (the list is kept).
bool append(Slist& list, const std::string& item);

// "what curl says: what the error buffer says".
std::string describe(int curl_code, const char* error_buffer);

}  // namespace vigil::notify::detail
