// Credential-shaped text in log lines, found by a hand-written scanner: std::regex would be
// slow on every line and recurses deeply on long input.
#include "core/log_redact.hpp"

#include <durar/log.hpp>

#include "http/http_client.hpp"

#include <array>
#include <cctype>

namespace durar {
namespace detail {
namespace {

constexpr std::string_view mask = "***";

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool key_char(char c) { return alnum(c) || c == '_' || c == '-'; }
bool name_char(char c) { return key_char(c) || c == '.'; }
bool blank(char c) { return c == ' ' || c == '\t'; }
// Token68 (RFC 7235) plus the JWT dot: what a Bearer credential is made of.
bool bearer_char(char c) {
  return alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' ||
         c == '=';
}
bool ends_value(char c) {
  return blank(c) || c == '\r' || c == '\n' || c == ',' || c == ';' || c == '&' || c == ')' ||
         c == '}' || c == ']' || c == '"' || c == '\'' || c == '<' || c == '>';
}

bool iequals_at(std::string_view text, std::size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (lower(text[pos + i]) != word[i]) return false;
  return true;
}

std::size_t run(std::string_view text, std::size_t pos, bool (*pred)(char)) {
  std::size_t end = pos;
  while (end < text.size() && pred(text[end])) ++end;
  return end - pos;
}

// Vendor key prefixes and the least body length that makes a match a key, not a word.
struct prefix_rule {
  std::string_view prefix;
  std::size_t min_body;
};
constexpr std::array<prefix_rule, 14> key_prefixes = {{
    {"sk-", 16},   // OpenAI, Anthropic (sk-ant-), OpenRouter (sk-or-), DeepSeek, ...
    {"AIza", 30},  // Google
    {"ghp_", 20},
    {"gho_", 20},
    {"ghs_", 20},
    {"ghu_", 20},
    {"github_pat_", 20},
    {"xoxb-", 10},  // Slack
    {"xoxp-", 10},
    {"xapp-", 10},
    {"hf_", 20},    // Hugging Face
    {"gsk_", 20},   // Groq
    {"pplx-", 20},  // Perplexity
    {"AKIA", 16},   // AWS access key ids
}};

constexpr std::array<std::string_view, 10> credential_suffixes = {
    "apikey", "apikeys",  "token",         "secret",    "password",
    "passwd", "passcode", "authorization", "accesskey", "privatekey"};

// A quote at `pos`: 1 for " or ', 2 for \" (JSON inside a JSON string); 0 for none.
std::size_t quote_at(std::string_view text, std::size_t pos, char& q) {
  if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
    q = text[pos];
    return 1;
  }
  if (pos + 1 < text.size() && text[pos] == '\\' && text[pos + 1] == '"') {
    q = '"';
    return 2;
  }
  return 0;
}

class scanner {
 public:
  explicit scanner(std::string_view text) : text_(text) { out_.reserve(text.size()); }

  std::string run_all() {
    while (i_ < text_.size()) {
      if (pem() || (at_boundary() && (vendor_key() || bearer())) || assignment()) continue;
      out_.push_back(text_[i_++]);
    }
    return std::move(out_);
  }

 private:
  [[nodiscard]] bool at_boundary() const { return i_ == 0 || !key_char(text_[i_ - 1]); }

  bool pem() {
    constexpr std::string_view begin = "-----BEGIN ";
    if (text_.compare(i_, begin.size(), begin) != 0) return false;
    std::size_t line_end = text_.find('\n', i_);
    std::string_view header = text_.substr(
        i_, line_end == std::string_view::npos ? std::string_view::npos : line_end - i_);
    if (header.find("PRIVATE KEY") == std::string_view::npos) return false;
    std::size_t end = text_.find("-----END ", i_ + begin.size());
    if (end != std::string_view::npos) end = text_.find("-----", end + 9);
    end = end == std::string_view::npos ? text_.size() : end + 5;
    out_.append(mask);
    i_ = end;
    return true;
  }

  bool vendor_key() {
    for (const auto& rule : key_prefixes) {
      if (text_.compare(i_, rule.prefix.size(), rule.prefix) != 0) continue;
      std::size_t body = run(text_, i_ + rule.prefix.size(), key_char);
      if (body < rule.min_body) continue;
      out_.append(rule.prefix);
      out_.append(mask);
      i_ += rule.prefix.size() + body;
      return true;
    }
    return false;
  }

  // "Bearer <token>" anywhere, keeping the scheme word.
  bool bearer() {
    if (!iequals_at(text_, i_, "bearer")) return false;
    std::size_t p = i_ + 6;
    std::size_t gap = run(text_, p, blank);
    if (gap == 0) return false;
    std::size_t token = run(text_, p + gap, bearer_char);
    if (token < 8) return false;
    out_.append(text_.substr(i_, 6 + gap));
    out_.append(mask);
    i_ = p + gap + token;
    return true;
  }

  // name=value, name: value, "name": "value", --name value, with a credential-like name.
  bool assignment() {
    char q = 0;
    std::size_t open = quote_at(text_, i_, q);
    if (open == 0 && !at_name_start()) return false;
    std::size_t name_begin = i_ + open;
    std::size_t name_len = run(text_, name_begin, name_char);
    if (name_len == 0) return false;
    std::string_view name = text_.substr(name_begin, name_len);
    std::size_t p = name_begin + name_len;
    if (open != 0) {
      char close_q = 0;
      std::size_t close = quote_at(text_, p, close_q);
      if (close == 0 || close_q != q) return false;
      p += close;
    }
    // Not a credential name: copy the whole name so its tail is not rescanned as a name.
    if (!credential_name(name)) {
      out_.append(text_.substr(i_, p - i_));
      i_ = p;
      return true;
    }
    std::size_t after_name = p;
    p += run(text_, p, blank);
    if (p < text_.size() && (text_[p] == '=' || text_[p] == ':')) {
      ++p;
    } else if (!(name.substr(0, 2) == "--" && p > after_name)) {
      out_.append(text_.substr(i_, after_name - i_));
      i_ = after_name;
      return true;
    }
    p += run(text_, p, blank);
    out_.append(text_.substr(i_, p - i_));
    i_ = p;
    value();
    return true;
  }

  [[nodiscard]] bool at_name_start() const {
    return i_ < text_.size() && name_char(text_[i_]) && (i_ == 0 || !name_char(text_[i_ - 1]));
  }

  void value() {
    char q = 0;
    if (std::size_t open = quote_at(text_, i_, q)) {
      std::size_t p = i_ + open;
      std::size_t begin = p;
      while (p < text_.size()) {
        char close_q = 0;
        std::size_t close = quote_at(text_, p, close_q);
        if (close != 0 && close_q == q && (open == 2 || text_[p] != '\\')) break;
        if (open == 1 && text_[p] == '\\') ++p;  // an escaped character inside the quotes
        ++p;
      }
      p = std::min(p, text_.size());
      out_.append(text_.substr(i_, open));
      masked(text_.substr(begin, p - begin));
      i_ = p;
      return;
    }
    // "Authorization: Bearer abc": keep the scheme, mask the credential.
    for (std::string_view scheme : {"bearer", "basic", "token"}) {
      if (iequals_at(text_, i_, scheme) && i_ + scheme.size() < text_.size() &&
          blank(text_[i_ + scheme.size()])) {
        std::size_t gap = run(text_, i_ + scheme.size(), blank);
        out_.append(text_.substr(i_, scheme.size() + gap));
        i_ += scheme.size() + gap;
        break;
      }
    }
    std::size_t end = i_;
    while (end < text_.size() && !ends_value(text_[end])) ++end;
    masked(text_.substr(i_, end - i_));
    i_ = end;
  }

  void masked(std::string_view v) {
    if (v.empty() || v == mask || v == "null")
      out_.append(v);
    else
      out_.append(mask);
  }

  std::string_view text_;
  std::size_t i_ = 0;
  std::string out_;
};

}  // namespace

bool credential_name(std::string_view name) {
  std::string n;
  n.reserve(name.size());
  for (char c : name)
    if (c != '-' && c != '_' && c != '.') n.push_back(lower(c));
  for (auto suffix : credential_suffixes)
    if (n.size() >= suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

std::string mask_known_secrets(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const auto& s : secrets) {
    for (std::size_t pos = out.find(s); pos != std::string::npos;
         pos = out.find(s, pos + mask.size()))
      out.replace(pos, s.size(), mask);
  }
  return out;
}

}  // namespace detail

std::string redact_log_text(std::string_view text) {
  // Headers, ?key= and URL passwords first (the HTTP client's own rules), then the rest.
  std::string http_masked = detail::redact_http(text);
  return detail::scanner(http_masked).run_all();
}

}  // namespace durar
