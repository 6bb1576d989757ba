#pragma once
// Background noise on the incident page's activity list: names under the
// domains of noise_domains.txt (CDNs, operating system and browser check-ins,
// telemetry, advertising and tracking), compiled into the console.

#include <string_view>
#include <vector>

namespace vigil::console::pages::safeguarding {

// The domains, in file order, lower case, without comments.
const std::vector<std::string_view>& noise_domains();

// True when `name` (a host name, any case, with or without a trailing dot)
// is one of the domains or under one of them at a label boundary.
bool is_background_noise(std::string_view name);

}  // namespace vigil::console::pages::safeguarding
