// The exec security policy: which commands run, which are asked about, which are refused.
#pragma once

#include <durar/tools.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

enum class exec_verdict { run, ask, refuse };

struct exec_check {
  exec_verdict verdict = exec_verdict::refuse;
  std::string reason;  // for the approver ("not in safeBins: curl") or the refusal
};

// security deny refuses everything; full runs everything; allowlist runs commands whose
// every program is a safe bin. ask=always asks every time, ask=on-miss asks on a miss.
exec_check check_exec_policy(const exec_options& options, std::string_view command);

// The program each simple command of a shell line starts with ("ls -l | wc -l" gives
// ls, wc), or nullopt when the line does something a word list cannot vouch for:
// substitutions, redirections, subshells, variables or globs in the program name, or
// leading VAR=value assignments.
std::optional<std::vector<std::string>> command_programs(std::string_view command);

}  // namespace durar::detail
