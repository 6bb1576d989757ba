#include "admin/console/server/certificate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

namespace vigil::console {
namespace {

namespace fs = std::filesystem;

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

std::string openssl_error(const std::string& what) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return what;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return what + ": " + buf;
}

std::string system_error(const std::string& what, int e) {
  return what + ": " + std::system_category().message(e);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string fingerprint(X509* x) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x, EVP_sha256(), md, &n) != 1) return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    if (i > 0) out += ':';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0x0F];
  }
  return out;
}

bool dns_name(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return s.front() != '-' && s.front() != '.';
}

void add_name(std::vector<std::string>& names, std::string name) {
  for (const std::string& n : names) {
    if (n == name) return;
  }
  names.push_back(std::move(name));
}

// Every address of this machine's interfaces, for a wildcard listen address.
void add_interface_addresses(std::vector<std::string>& names, bool v4, bool v6) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return;
  for (ifaddrs* a = list; a != nullptr && names.size() < 32; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || (a->ifa_flags & IFF_UP) == 0) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_INET && v4) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      if (inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf) != nullptr)
        add_name(names, std::string("IP:") + buf);
    } else if (a->ifa_addr->sa_family == AF_INET6 && v6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;  // needs a zone: no use in a URL
      if (inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf) != nullptr)
        add_name(names, std::string("IP:") + buf);
    }
  }
  ::freeifaddrs(list);
}

std::vector<std::string> subject_names(const std::string& listen_host, std::string& host_name) {
  std::vector<std::string> names{"DNS:localhost"};
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) == 0 && dns_name(buf)) {
    host_name = buf;
    add_name(names, "DNS:" + host_name);
  }
  unsigned char addr[16];
  if (inet_pton(AF_INET, listen_host.c_str(), addr) == 1) {
    if (listen_host == "0.0.0.0") {
      add_interface_addresses(names, true, false);
    } else {
      add_name(names, "IP:" + listen_host);
    }
  } else if (inet_pton(AF_INET6, listen_host.c_str(), addr) == 1) {
    static constexpr unsigned char kAny[16] = {};
    if (std::memcmp(addr, kAny, 16) == 0) {
      add_interface_addresses(names, true, true);
    } else {
      add_name(names, "IP:" + listen_host);
    }
  } else if (dns_name(listen_host)) {
    add_name(names, "DNS:" + listen_host);
  }
  return names;
}

bool add_extension(X509* x, int nid, const std::string& value, std::string& error) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    error = openssl_error("certificate extension " + value);
    return false;
  }
  const bool ok = X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  if (!ok) error = openssl_error("certificate extension " + value);
  return ok;
}

Cert make_certificate(EVP_PKEY* key, const std::vector<std::string>& names,
                      const std::string& host_name, int days, std::string& error) {
  Cert x(X509_new());
  if (!x || X509_set_version(x.get(), 2) != 1) {
    error = openssl_error("X509_new");
    return nullptr;
  }
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    error = openssl_error("RAND_bytes");
    return nullptr;
  }
  serial[0] &= 0x7F;  // a positive serial number
  std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())) == nullptr) {
    error = openssl_error("certificate serial number");
    return nullptr;
  }
  // Five minutes back, for a browser whose clock is a little behind.
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -300);
  X509_time_adj_ex(X509_getm_notAfter(x.get()), days, 0, nullptr);
  X509_NAME* subject = X509_get_subject_name(x.get());
  std::string cn = "Vigil console";
  if (!host_name.empty()) cn += " " + host_name.substr(0, 40);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Vigil"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), subject);
  if (X509_set_pubkey(x.get(), key) != 1) {
    error = openssl_error("certificate public key");
    return nullptr;
  }
  std::string san;
  for (const std::string& n : names) san += (san.empty() ? "" : ",") + n;
  if (!add_extension(x.get(), NID_basic_constraints, "critical,CA:FALSE", error) ||
      !add_extension(x.get(), NID_key_usage, "critical,digitalSignature", error) ||
      !add_extension(x.get(), NID_ext_key_usage, "serverAuth", error) ||
      !add_extension(x.get(), NID_subject_key_identifier, "hash", error) ||
      !add_extension(x.get(), NID_subject_alt_name, san, error)) {
    return nullptr;
  }
  if (X509_sign(x.get(), key, EVP_sha256()) == 0) {
    error = openssl_error("signing the certificate");
    return nullptr;
  }
  return x;
}

// Missing parent folders of `path`, made 0700.
bool make_parents(const std::string& path, std::string& error) {
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return true;
  fs::path so_far;
  for (const fs::path& part : parent) {
    so_far /= part;
    if (::mkdir(so_far.c_str(), 0700) != 0 && errno != EEXIST) {
      error = system_error("cannot make the folder " + so_far.string(), errno);
      return false;
    }
  }
  return true;
}

// Writes a PEM file through `write` to PATH.tmp with `mode` (whatever the
// umask), flushed to disk.
template <class Write>
bool write_pem(const std::string& path, mode_t mode, Write&& write, std::string& error) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    error = system_error("cannot write " + tmp, errno);
    return false;
  }
  if (::fchmod(fd, mode) != 0) {
    error = system_error("cannot set the mode of " + tmp, errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  std::unique_ptr<std::FILE, FileClose> f(::fdopen(fd, "w"));
  if (!f) {
    ::close(fd);
    ::unlink(tmp.c_str());
    error = system_error("cannot write " + tmp, errno);
    return false;
  }
  const bool ok = write(f.get()) == 1 && std::fflush(f.get()) == 0 && ::fsync(fd) == 0;
  const int e = errno;
  f.reset();
  if (!ok) {
    ::unlink(tmp.c_str());
    error = openssl_error(system_error("cannot write " + tmp, e));
    return false;
  }
  return true;
}

}  // namespace

std::string certificate_fingerprint(const std::string& cert_path) {
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(cert_path.c_str(), "re"));
  if (!f) return {};
  Cert x(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return x ? fingerprint(x.get()) : std::string();
}

bool ensure_certificate(const SelfSignedRequest& r, CertificateInfo& info, std::string& error) {
  info = {};
  const bool have_cert = exists(r.cert_path);
  const bool have_key = exists(r.key_path);
  if (have_cert && have_key) {
    info.fingerprint_sha256 = certificate_fingerprint(r.cert_path);
    if (info.fingerprint_sha256.empty()) {
      error = "console.tls_cert " + r.cert_path + ": not a readable PEM certificate";
      return false;
    }
    return true;
  }
  if (have_cert != have_key) {
    error = have_cert
                ? "console.tls_cert " + r.cert_path + " exists but console.tls_key " + r.key_path +
                      " is missing: give both, or remove the certificate to "
                      "have a self-signed pair made"
                : "console.tls_key " + r.key_path + " exists but console.tls_cert " + r.cert_path +
                      " is missing: give both, or remove the key to have a "
                      "self-signed pair made";
    return false;
  }
  if (r.cert_path == r.key_path) {
    error = "console.tls_cert and console.tls_key are the same file " + r.cert_path;
    return false;
  }
  Key key(EVP_EC_gen("P-256"));
  if (!key) {
    error = openssl_error("making a P-256 key");
    return false;
  }
  std::string host_name;
  info.names = subject_names(r.listen_host, host_name);
  Cert x = make_certificate(key.get(), info.names, host_name, r.days, error);
  if (!x) return false;
  if (!make_parents(r.key_path, error) || !make_parents(r.cert_path, error)) return false;
  if (!write_pem(
          r.key_path, 0600,
          [&](std::FILE* f) {
            return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
          },
          error)) {
    return false;
  }
  if (!write_pem(
          r.cert_path, 0644, [&](std::FILE* f) { return PEM_write_X509(f, x.get()); }, error)) {
    ::unlink((r.key_path + ".tmp").c_str());
    return false;
  }
  if (std::rename((r.key_path + ".tmp").c_str(), r.key_path.c_str()) != 0) {
    error = system_error("cannot write " + r.key_path, errno);
    ::unlink((r.key_path + ".tmp").c_str());
    ::unlink((r.cert_path + ".tmp").c_str());
    return false;
  }
  if (std::rename((r.cert_path + ".tmp").c_str(), r.cert_path.c_str()) != 0) {
    error = system_error("cannot write " + r.cert_path, errno);
    ::unlink(r.key_path.c_str());
    ::unlink((r.cert_path + ".tmp").c_str());
    return false;
  }
  info.made = true;
  info.fingerprint_sha256 = fingerprint(x.get());
  return true;
}

}  // namespace vigil::console
