// The one UTF-8 encoder: code points decoded from escapes (JSON5 \u and \x, HTML character
// references, Latin-1 bytes) become UTF-8 text.
#pragma once

#include <string>

namespace durar::detail {

// Appends `cp` as 1 to 4 bytes of UTF-8. Code points UTF-8 cannot carry (surrogates
// U+D800..U+DFFF, anything above U+10FFFF) become U+FFFD, so the output is always valid.
// U+0000 is kept as a NUL byte: JSON's \u0000 means one; callers with other rules (HTML
// maps &#0; to U+FFFD) apply them first.
void append_utf8(std::string& out, char32_t cp);

}  // namespace durar::detail
