#include "inspect/classify/ndpi_classifier.h"

#include <ndpi_api.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace vigil::inspect {
namespace {

ndpi_detection_module_struct* as_module(void* p) {
  return static_cast<ndpi_detection_module_struct*>(p);
}
ndpi_flow_struct* as_flow(void* p) { return static_cast<ndpi_flow_struct*>(p); }

// Copies a C string from nDPI, bounded, keeping printable ASCII only.
std::string bounded_name(const char* s) {
  std::string out;
  if (s == nullptr) return out;
  for (std::size_t i = 0; i < 64 && s[i] != '\0'; ++i) {
    char c = s[i];
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

std::uint32_t flags_for(const ndpi_protocol& p, ndpi_risk risk) {
  std::uint32_t flags = 0;
  auto is = [&p](std::uint16_t id) { return p.app_protocol == id || p.master_protocol == id; };
  if (p.category == NDPI_PROTOCOL_CATEGORY_VPN) flags |= kFlowVpn;
  if (is(NDPI_PROTOCOL_TOR)) flags |= kFlowTor;
  if (is(NDPI_PROTOCOL_SOCKS) || is(NDPI_PROTOCOL_HTTP_PROXY) || is(NDPI_PROTOCOL_HTTP_CONNECT))
    flags |= kFlowProxy;
  if (is(NDPI_PROTOCOL_DOH_DOT) || is(NDPI_PROTOCOL_DNSCRYPT)) flags |= kFlowEncryptedDns;
  if (p.category == NDPI_PROTOCOL_CATEGORY_REMOTE_ACCESS ||
      (risk & (1ull << NDPI_DESKTOP_OR_FILE_SHARING_SESSION)) != 0)
    flags |= kFlowRemoteDesktop;
  if ((risk & (1ull << NDPI_TLS_SUSPICIOUS_ESNI_USAGE)) != 0) flags |= kFlowEch;
  return flags;
}

}  // namespace

NdpiFlow::~NdpiFlow() { release(); }

NdpiFlow::NdpiFlow(NdpiFlow&& o) noexcept
    : state_(std::exchange(o.state_, nullptr)),
      packets_(o.packets_),
      finished_(o.finished_),
      result_(std::move(o.result_)) {}

NdpiFlow& NdpiFlow::operator=(NdpiFlow&& o) noexcept {
  if (this != &o) {
    release();
    state_ = std::exchange(o.state_, nullptr);
    packets_ = o.packets_;
    finished_ = o.finished_;
    result_ = std::move(o.result_);
  }
  return *this;
}

void NdpiFlow::release() noexcept {
  if (state_ != nullptr) {
    ndpi_flow_free(state_);  // frees the flow's data, then the flow
    state_ = nullptr;
  }
}

NdpiClassifier::NdpiClassifier() {
  ndpi_detection_module_struct* m = ndpi_init_detection_module(ndpi_no_prefs);
  if (m == nullptr) return;
  NDPI_PROTOCOL_BITMASK all;
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(m, &all);
  ndpi_finalize_initialization(m);
  module_ = m;
}

NdpiClassifier::~NdpiClassifier() {
  if (module_ != nullptr) ndpi_exit_detection_module(as_module(module_));
}

bool NdpiClassifier::process(NdpiFlow& flow, Bytes l3, std::uint64_t ts_us) noexcept {
  if (flow.finished_ || module_ == nullptr) return false;
  if (flow.state_ == nullptr) {
    void* mem = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
    if (mem == nullptr) return false;
    std::memset(mem, 0, SIZEOF_FLOW_STRUCT);
    flow.state_ = mem;
  }
  // nDPI takes an unsigned short length; a reassembled datagram can exceed it.
  auto len = static_cast<unsigned short>(l3.size() > 0xffff ? 0xffff : l3.size());
  ndpi_protocol p = ndpi_detection_process_packet(as_module(module_), as_flow(flow.state_),
                                                  l3.data(), len, ts_us / 1000);
  ++flow.packets_;
  bool detected = p.app_protocol != NDPI_PROTOCOL_UNKNOWN;
  if (detected && !ndpi_extra_dissection_possible(as_module(module_), as_flow(flow.state_))) {
    conclude(flow, p, false);
    return true;
  }
  if (flow.packets_ >= kMaxPacketsPerFlow) {
    conclude(flow, p, !detected);
    return true;
  }
  return false;
}

void NdpiClassifier::finish(NdpiFlow& flow) noexcept {
  if (flow.finished_ || module_ == nullptr) return;
  if (flow.state_ == nullptr) {
    flow.finished_ = true;
    return;
  }
  conclude(flow, ndpi_protocol NDPI_PROTOCOL_NULL, true);
}

void NdpiClassifier::conclude(NdpiFlow& flow, const ndpi_protocol& detected,
                              bool gave_up) noexcept {
  auto* m = as_module(module_);
  auto* f = as_flow(flow.state_);
  ndpi_protocol p = detected;
  if (gave_up) {
    std::uint8_t guessed = 0;
    p = ndpi_detection_giveup(m, f, 1, &guessed);
  }
  char buf[64];
  FlowClassification& r = flow.result_;
  r.app_protocol = bounded_name(ndpi_protocol2name(m, p, buf, sizeof buf));
  r.category = bounded_name(ndpi_category_get_name(m, p.category));
  r.risks.clear();
  ndpi_risk risk = f->risk;
  for (int i = 1; i < NDPI_MAX_RISK; ++i) {
    if ((risk & (1ull << i)) != 0) {
      r.risks.push_back(bounded_name(ndpi_risk2str(static_cast<ndpi_risk_enum>(i))));
    }
  }
  r.flags = flags_for(p, risk);
  r.decided = p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
  flow.finished_ = true;
  flow.release();
}

}  // namespace vigil::inspect
