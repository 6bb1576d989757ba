#pragma once
// Asking vigild to reload its rules over its control socket (control.socket,
// daemon/control/protocol.h), for the lists pages. Blocking, one request
// per call; vigild may take a while to compile a large tree.

#include <chrono>
#include <string>

namespace vigil::console::pages::admin {

struct ReloadOutcome {
  enum class Kind : unsigned char {
    Reloaded,     // vigild loaded the tree
    Refused,      // vigild could not use the tree and kept the rules it runs
    Unreachable,  // no answer: the change applies when vigild next loads the rules
  };
  Kind kind = Kind::Unreachable;
  std::string message;  // vigild's message or why it could not be reached
};

ReloadOutcome ask_vigild_reload(const std::string& socket_path,
                                std::chrono::milliseconds timeout = std::chrono::seconds(60));

// One or two plain sentences for the page.
std::string reload_sentence(const ReloadOutcome& outcome);
std::string_view reload_kind_name(ReloadOutcome::Kind kind) noexcept;

}  // namespace vigil::console::pages::admin
