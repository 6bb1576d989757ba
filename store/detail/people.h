#pragma once
// Internal to store/: the one way a person is written, shared by the
// writer thread (vigild's people CSV) and Casework (the console's import).

#include <cstdint>

#include "store/detail/sqlite.h"
#include "store/result.h"
#include "store/types.h"

namespace vigil::store::detail {

// Reference present and every field within kMaxNameBytes; kind is learner,
// staff or unknown. (Casework also refuses control bytes in the reference.)
bool person_fields_valid(const PersonRecord& p) noexcept;

// Inserts the person or updates the one with the same reference, inside the
// caller's transaction; returns its id.
Result<std::int64_t> upsert_person_row(Connection& c, const PersonRecord& p, TimeUs now_us);

}  // namespace vigil::store::detail
