// Strict validation of a config document against what Durar implements and, for the rest,
// against the keys the original accepts.
#pragma once

#include <durar/config.hpp>

#include "config/document.hpp"

#include <vector>

namespace durar::detail {

inline constexpr const char* not_implemented_note =
    "accepted for compatibility with openclaw, not implemented by Durar yet; ignored";

// Checks `root` (the document's value after ${VAR} substitution; positions come from `doc`).
std::vector<config_issue> validate(const document& doc, const json& root);

}  // namespace durar::detail
