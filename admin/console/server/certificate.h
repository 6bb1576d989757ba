#pragma once
// The console's TLS certificate: used as configured, or, on first start
// when neither file exists, made here (a P-256 key and a self-signed X.509
// certificate valid for 397 days, the longest browsers accept) so the
// console is HTTPS from the first minute. The user checks the printed
// SHA-256 fingerprint against what the browser shows before trusting it.

#include <string>
#include <vector>

namespace vigil::console {

struct SelfSignedRequest {
  std::string cert_path;
  std::string key_path;
  std::string listen_host;  // console.listen's host: an IP goes in as an IP name
  int days = 397;
};

struct CertificateInfo {
  bool made = false;               // false: both files were there already
  std::string fingerprint_sha256;  // "AB:CD:...", of the certificate in cert_path
  std::vector<std::string> names;  // made: the subjectAltNames, like "DNS:localhost"
};

// When both files are missing, makes them (key mode 0600, certificate
// 0644, missing parent folders 0700; written to temporary names and
// renamed into place). When both exist, reads the
// certificate's fingerprint. One without the other, or any failure: false
// and a one-line `error`.
bool ensure_certificate(const SelfSignedRequest& request, CertificateInfo& info,
                        std::string& error);

// The SHA-256 fingerprint of the first certificate in a PEM file, "" when
// it cannot be read.
std::string certificate_fingerprint(const std::string& cert_path);

}  // namespace vigil::console
