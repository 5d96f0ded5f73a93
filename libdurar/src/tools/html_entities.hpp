// HTML character references: named (the HTML 4 set plus common typography) and numeric
// (with the Windows-1252 reading browsers give to 128-159).
#pragma once

#include <string>
#include <string_view>

namespace durar::detail {

// `s` with references decoded. In attribute values a name without ';' is left alone (so a
// URL's "&copy=2" stays a query parameter); elsewhere the common legacy names decode.
// &nbsp; becomes a plain space: readable text has no use for the distinction.
std::string decode_entities(std::string_view s, bool in_attribute);

bool ascii_alnum(char c);

}  // namespace durar::detail
