#pragma once
// Which worker a captured frame goes to. Every frame of a flow, in both
// directions, must reach the same worker (each owns its flows' state), and
// so must every fragment of a datagram. The hash therefore covers only the
// outermost IP pair, ordered so that A->B and B->A agree: ports are absent
// from later fragments, and a tunnel's inner flows all ride one outer pair.
// Frames without an IP header we can find cheaply (ARP, unusual link types)
// go to worker 0, which decodes and counts them like any other.

#include <cstdint>

#include "inspect/util/byte_reader.h"

namespace vigil::daemon {

// A symmetric 64-bit hash of the frame's outermost IP addresses, or 0 when
// none was found. `link` is the capture's DLT_ value.
std::uint64_t frame_flow_hash(std::uint32_t link, inspect::Bytes frame) noexcept;

}  // namespace vigil::daemon
