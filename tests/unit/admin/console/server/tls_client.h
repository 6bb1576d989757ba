#pragma once
// A small HTTPS/1.1 client over OpenSSL for the console server's tests:
// one request per connection (Connection: close), headers exactly as
// given (Origin, Cookie, Sec-Fetch-Site), from a chosen loopback source
// address (127.0.0.x) so back-off per address can be tested, and with the
// TLS versions pinned for the protocol tests.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace vigil::console::testing {

struct Reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The first header `name` (lower-case), "" when absent.
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers) {
      if (k == name) out.push_back(v);
    }
    return out;
  }
};

// A connected TCP socket to 127.0.0.1:port from `source` (port 0); -1 on failure.
inline int connect_loopback(std::uint16_t port, const std::string& source = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct TlsOptions {
  int min_version = TLS1_2_VERSION;
  int max_version = 0;  // 0: the newest
  std::string ca_file;  // when set: verify the server's certificate and host `verify_host`
  std::string verify_host = "localhost";
  std::string source = "127.0.0.1";
};

class TlsConnection {
 public:
  TlsConnection(std::uint16_t port, const TlsOptions& o) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) throw std::runtime_error("SSL_CTX_new");
    // Level 0 lets this client offer TLS 1.0/1.1: the server must refuse them itself.
    SSL_CTX_set_security_level(ctx_, 0);
    SSL_CTX_set_cipher_list(ctx_, "DEFAULT:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx_, o.min_version);
    if (o.max_version != 0) SSL_CTX_set_max_proto_version(ctx_, o.max_version);
    if (!o.ca_file.empty()) {
      SSL_CTX_load_verify_locations(ctx_, o.ca_file.c_str(), nullptr);
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    fd_ = connect_loopback(port, o.source);
    if (fd_ < 0) throw std::runtime_error("cannot connect to the test server");
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, o.verify_host.c_str());
    if (!o.ca_file.empty()) {
      if (o.verify_host.find_first_not_of("0123456789.") == std::string::npos) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), o.verify_host.c_str());
      } else {
        SSL_set1_host(ssl_, o.verify_host.c_str());
      }
    }
    const int rc = SSL_connect(ssl_);
    if (rc != 1) {
      char buf[256] = {};
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      error_ = buf;
      ERR_clear_error();
    } else {
      connected_ = true;
    }
  }
  ~TlsConnection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }
  int version() const { return SSL_version(ssl_); }

  bool write(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const int n = SSL_write(ssl_, data.data() + sent, static_cast<int>(data.size() - sent));
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Everything until the server closes (close_notify or EOF).
  std::string read_all() {
    std::string out;
    char buf[16384];
    for (;;) {
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    ERR_clear_error();
    return out;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  std::string error_;
};

inline Reply parse_reply(const std::string& raw) {
  Reply r;
  const std::size_t end = raw.find("\r\n\r\n");
  if (raw.compare(0, 9, "HTTP/1.1 ") != 0 || end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < end) {
    const std::size_t eol = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, eol - pos);
    const std::size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers.emplace_back(std::move(name), std::move(value));
    pos = eol + 2;
  }
  r.body = raw.substr(end + 4);
  return r;
}

struct Call {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given, after Host
  std::string body;
  std::string source = "127.0.0.1";
};

// One request on its own TLS connection; status 0 when it could not be made.
inline Reply request(std::uint16_t port, const Call& call) {
  TlsOptions o;
  o.source = call.source;
  TlsConnection c(port, o);
  if (!c.connected()) return {};
  std::string text = call.method + " " + call.target +
                     " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                     "\r\nConnection: close\r\n";
  for (const auto& [k, v] : call.headers) text += k + ": " + v + "\r\n";
  if (!call.body.empty() || call.method == "POST") {
    text += "Content-Length: " + std::to_string(call.body.size()) + "\r\n";
  }
  text += "\r\n" + call.body;
  if (!c.write(text)) return {};
  return parse_reply(c.read_all());
}

}  // namespace vigil::console::testing
