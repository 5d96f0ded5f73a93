// Text helpers the editing tools share: line endings, BOM, and look-alike folding so that
// a model's typographic quotes or stray trailing spaces still find the text they mean.
#pragma once

#include <string>
#include <string_view>

namespace durar::detail {

inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// CRLF and lone CR become LF.
std::string to_lf(std::string_view s);
// True when the first line break is CRLF: the file's convention.
bool uses_crlf(std::string_view s) noexcept;
std::string to_crlf(std::string_view s);

// The ASCII stand-in for a typographic quote, dash or unusual space, else 0.
char lookalike_ascii(char32_t c) noexcept;
// `s` with every look-alike replaced by its ASCII stand-in.
std::string fold_lookalikes(std::string_view s);

}  // namespace durar::detail
