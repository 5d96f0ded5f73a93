// Best-effort parsing of a JSON document that is still arriving (streamed tool arguments).
#pragma once

#include <durar/json.hpp>

#include <string_view>

namespace durar::detail {

// The value `text` parses to, or, when it is a prefix of a document, the value it would
// have if closed now: open strings and containers closed, a dangling key or separator
// dropped. An empty object when nothing usable is there yet. Never throws.
json parse_partial_json(std::string_view text);

}  // namespace durar::detail
