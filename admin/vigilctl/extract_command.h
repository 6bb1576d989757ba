#pragma once
// `vigilctl extract`: offline extraction of names from capture files, printed
// in the shared corpus TSV format (or as EVE JSON lines).

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::admin {

struct ExtractOptions {
  std::vector<std::string> pcaps;
  std::string interface;          // live capture instead of files
  double duration_s = 0;          // live: stop after this long (0: until interrupted)
  std::uint64_t max_packets = 0;  // live: stop after this many packets (0: no limit)
  std::string out_dir;            // one <pcap file name>.tsv per capture; stdout when empty
  bool eve = false;
  std::string rules_dir;  // with --eve: match observations and print alert events
  std::string group;      // group policy for --rules ("" = default)
  bool stats = false;
  bool classify = true;
  std::uint64_t max_flows = 262'144;
  std::uint64_t max_flow_bytes = 1u << 20;
  // Text per plain-HTTP page or form post (http_text); -1: 64 KiB with
  // --rules (the only output that uses it), none otherwise.
  std::int64_t http_text_bytes = -1;
};

// Returns the process exit status: 0 when every capture was read (a capture
// cut short still yields what it held, with a warning), 1 when one could not
// be opened or is not a capture, 2 when the output could not be written.
int run_extract(const ExtractOptions& options);

}  // namespace vigil::admin
