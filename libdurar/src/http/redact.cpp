#include "http/http_client.hpp"

#include <array>
#include <cctype>
#include <string>

namespace durar::detail {
namespace {

constexpr std::string_view mask = "***";

// Header names whose values are credentials (matched case-insensitively).
constexpr std::array<std::string_view, 4> secret_headers = {"authorization", "proxy-authorization",
                                                            "x-api-key", "x-goog-api-key"};
// Query parameters whose values are credentials.
constexpr std::array<std::string_view, 3> secret_params = {"key", "api_key", "access_token"};

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (lower(text[pos + i]) != word[i]) return false;
  return true;
}

// Length of a secret header name followed by ':' starting at `pos`, or 0.
std::size_t header_at(std::string_view text, std::size_t pos) {
  if (pos > 0 && token_char(text[pos - 1])) return 0;
  for (auto name : secret_headers) {
    if (!iequals_at(text, pos, name)) continue;
    std::size_t p = pos + name.size();
    while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
    if (p < text.size() && text[p] == ':') return p + 1 - pos;
  }
  return 0;
}

// Length of "name=" for a secret query parameter right after '?', '&' or ';', or 0.
std::size_t param_at(std::string_view text, std::size_t pos) {
  if (pos == 0 || (text[pos - 1] != '?' && text[pos - 1] != '&' && text[pos - 1] != ';')) return 0;
  for (auto name : secret_params) {
    if (iequals_at(text, pos, name) && pos + name.size() < text.size() &&
        text[pos + name.size()] == '=')
      return name.size() + 1;
  }
  return 0;
}

// Length of "user:password@" right after "://", or 0.
std::size_t userinfo_at(std::string_view text, std::size_t pos) {
  if (pos < 3 || text.substr(pos - 3, 3) != "://") return 0;
  for (std::size_t p = pos; p < text.size(); ++p) {
    char c = text[p];
    if (c == '@') return p + 1 - pos;
    if (c == '/' || c == '?' || c == '#' || c == ' ' || c == '\r' || c == '\n' || c == '"')
      return 0;
  }
  return 0;
}

bool ends_param(char c) {
  return c == '&' || c == '#' || c == ';' || c == ' ' || c == '"' || c == '\'' || c == '\r' ||
         c == '\n' || c == '\t' || c == '>';
}

}  // namespace

std::string redact_http(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::size_t n = header_at(text, i)) {
      out.append(text.substr(i, n));
      i += n;
      std::size_t start = i;
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      out.append(text.substr(start, i - start));
      std::size_t end = i;
      while (end < text.size() && text[end] != '\r' && text[end] != '\n') ++end;
      if (end > i) out.append(mask);
      i = end;
    } else if (std::size_t m = param_at(text, i)) {
      out.append(text.substr(i, m));
      i += m;
      std::size_t end = i;
      while (end < text.size() && !ends_param(text[end])) ++end;
      if (end > i) out.append(mask);
      i = end;
    } else if (std::size_t u = userinfo_at(text, i)) {
      out.append(mask);
      out.push_back('@');
      i += u;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

}  // namespace durar::detail
