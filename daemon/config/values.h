#pragma once
// Internal to daemon/config: reading and writing one value of a declared type.
// Shared by the loader (config.cc) and the example renderer (example.cc).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/config/config.h"

namespace vigil::config::detail {

// Aborts: a key that is not declared, a getter of the wrong type, a default
// that fails its own declaration. Never reached by input from a user.
[[noreturn]] void programming_error(const std::string& what);

const KeyDecl& declaration(std::string_view key);  // aborts when not declared
std::size_t index_of(const KeyDecl& decl) noexcept;

// A TOML basic string, escaped; long text is cut with "..." when `limit` > 0.
std::string quote(std::string_view text, std::size_t limit = 0);
std::string format_duration(std::int64_t ms);
std::optional<std::int64_t> parse_duration(std::string_view text);
std::string format_double(double v);

// The value in TOML syntax, as the example file and diff() show it.
std::string format_value(const KeyDecl& decl, const Value& value);

// What a value of this key must look like: "integer 1..64", "one of a, b".
// With `item`, what one element of a list must look like; with `hint`, how a
// duration is written.
std::string expectation(const KeyDecl& decl, bool item = false, bool hint = true);

// Parses text written as for `--set` (also the declared defaults). On failure
// returns nullopt and sets `error` to "key: expected ..., got ...".
std::optional<Value> from_text(const KeyDecl& decl, std::string_view text, std::string& error);

// Checks the constraints of a value already of the right C++ type (range,
// choices, address and URL shape, list items). Returns "" when it is
// acceptable, else "key: expected ..., got <got>" (for a list item the key is
// "key[i]" and `got` is replaced by the item).
std::string check(const KeyDecl& decl, const Value& value, std::string_view got);

// "Set" as a requirement means it: a non-empty string or list, true, non-zero.
bool is_set(const Value& value);

}  // namespace vigil::config::detail
