#pragma once
// The people import: a CSV file (RFC 4180) of learners and staff and their
// devices, as an MIS or a spreadsheet exports it.

#include <string>
#include <string_view>

#include "daemon/identity/types.h"

namespace vigil::identity {

// A header row is required; columns come in any order, named (case,
// spaces and hyphens aside) reference, name, cohort, group, under_18,
// devices. Only `reference` is required. Fields may be quoted, with ""
// for a quote and commas, quotes and line breaks inside; a UTF-8 BOM and
// CRLF line ends are accepted. under_18 is yes/no/true/false/1/0 (any
// case) or empty (not known); devices are MAC addresses separated by ';',
// ',' or spaces.
//
// Every problem is reported with its line: unknown or repeated columns (by
// name), a missing reference, a repeated reference, an invalid MAC, a MAC
// listed for two people, text that is not UTF-8 (Excel's plain "CSV" is
// Windows-1252: save as "CSV UTF-8"). Any error refuses the whole import
// (diag.error is set and people/devices are empty).
PeopleImport parse_people_csv(std::string_view text, std::string path,
                              const Limits& limits = {}) noexcept;

// The console's import (admin/console/pages): the same reading and checks,
// but a person watches the result, so the valid rows are kept beside the
// report of the refused ones (diag.invalid, diag.first_invalid with their
// lines). diag.error is set only when the file as a whole cannot be read
// (no header, an unknown column), and then nothing is kept.
PeopleImport parse_people_csv_keep_valid(std::string_view text, std::string path,
                                         const Limits& limits = {}) noexcept;

}  // namespace vigil::identity
