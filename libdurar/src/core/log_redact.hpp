// Masking for log lines: known secret values and credential-shaped text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

// Every occurrence of each of `secrets` replaced by "***"; `secrets` longest first, so a
// secret containing another is masked whole.
std::string mask_known_secrets(std::string_view text, const std::vector<std::string>& secrets);

// Whether a key or variable name names a credential ("apiKey", "x-api-key",
// "gateway.auth.token", "client_secret"), ignoring case, '-', '_' and '.'.
bool credential_name(std::string_view name);

}  // namespace durar::detail
