#include <durar/json.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace durar {
namespace {

namespace dom = simdjson::dom;

// simdjson does not count an empty innermost container, so it gets one level of slack
// and the converter enforces json::max_depth exactly.
constexpr std::size_t simdjson_depth = json::max_depth + 1;
// Past this size the thread's parser is dropped after use instead of pinning the memory.
constexpr std::size_t keep_capacity = std::size_t{16} << 20;
// Objects up to this size look up duplicate keys linearly; larger ones use a hash index.
constexpr std::size_t linear_key_lookup = 32;

dom::parser& thread_parser() {
  thread_local dom::parser parser;
  return parser;
}

// Builds a json from simdjson's DOM. Every child is constructed in place in its parent's
// storage (no null placeholder to move-assign over); a container is filled first and then
// moved into its slot, which moves a vector rather than a variant.
class converter {
 public:
  // False once a container sits deeper than json::max_depth; the value is then incomplete.
  [[nodiscard]] bool ok() const noexcept { return ok_; }

  void root(dom::element e, std::optional<json>& out) {
    emit(e, 0, [&out](auto&&... args) { out.emplace(std::forward<decltype(args)>(args)...); });
  }

 private:
  // Converts to the json of a container, built by the conversion itself: a sink that
  // emplaces one constructs the json in its slot, so the filled vector moves only once.
  struct lazy_array {
    converter* c;
    dom::array a;
    std::size_t depth;
    operator json() const { return json(c->array(a, depth)); }  // NOLINT(implicit)
  };
  struct lazy_object {
    converter* c;
    dom::object o;
    std::size_t depth;
    operator json() const { return json(c->object(o, depth)); }  // NOLINT(implicit)
  };

  // Calls sink with the arguments of the json constructor that makes e.
  template <class Sink>
  void emit(dom::element e, std::size_t depth, Sink&& sink) {
    switch (e.type()) {
      case dom::element_type::ARRAY:
        if (depth >= json::max_depth) {
          ok_ = false;
          return;
        }
        sink(lazy_array{this, e.get_array().value_unsafe(), depth + 1});
        return;
      case dom::element_type::OBJECT:
        if (depth >= json::max_depth) {
          ok_ = false;
          return;
        }
        sink(lazy_object{this, e.get_object().value_unsafe(), depth + 1});
        return;
      case dom::element_type::INT64:
        sink(e.get_int64().value_unsafe());
        return;
      case dom::element_type::UINT64:
        sink(e.get_uint64().value_unsafe());
        return;
      case dom::element_type::DOUBLE:
        sink(e.get_double().value_unsafe());
        return;
      case dom::element_type::STRING:
        sink(e.get_string().value_unsafe());
        return;
      case dom::element_type::BOOL:
        sink(e.get_bool().value_unsafe());
        return;
      case dom::element_type::NULL_VALUE:
        sink(nullptr);
        return;
    }
  }

  json_array array(dom::array a, std::size_t depth) {
    json_array items;
    items.reserve(a.size());
    for (dom::element child : a) {
      emit(child, depth,
           [&items](auto&&... args) { items.emplace_back(std::forward<decltype(args)>(args)...); });
      if (!ok_) break;
    }
    return items;
  }

  // Appends the member, or replaces the value of an earlier member with the same key:
  // duplicate keys keep the last value at the first key's position.
  void member(json_object& members, json* duplicate, std::string_view key, dom::element e,
              std::size_t depth) {
    if (duplicate != nullptr) {
      emit(e, depth, [duplicate](auto&&... args) {
        *duplicate = json(std::forward<decltype(args)>(args)...);
      });
    } else {
      emit(e, depth, [&members, key](auto&&... args) {
        members.emplace_back(std::piecewise_construct, std::forward_as_tuple(key),
                             std::forward_as_tuple(std::forward<decltype(args)>(args)...));
      });
    }
  }

  json_object object(dom::object o, std::size_t depth) {
    const std::size_t n = o.size();
    return n > linear_key_lookup ? large_object(o, n, depth) : small_object(o, n, depth);
  }

  json_object small_object(dom::object o, std::size_t n, std::size_t depth) {
    json_object members;
    members.reserve(n);
    // One bit per hash of each key so far: a clear bit proves a key new without a scan.
    std::uint64_t seen = 0;
    for (auto it = o.begin(), end = o.end(); it != end; ++it) {
      const std::string_view key = it.key();
      const std::uint64_t bit = key_bit(key);
      json* duplicate = nullptr;
      if ((seen & bit) != 0) {
        for (auto& [k, v] : members) {
          if (k == key) {
            duplicate = &v;
            break;
          }
        }
      }
      seen |= bit;
      member(members, duplicate, key, it.value(), depth);
      if (!ok_) break;
    }
    return members;
  }

  json_object large_object(dom::object o, std::size_t n, std::size_t depth) {
    json_object members;
    members.reserve(n);
    std::unordered_map<std::string_view, std::size_t> index;
    index.reserve(n);
    for (auto it = o.begin(), end = o.end(); it != end; ++it) {
      const std::string_view key = it.key();
      auto [pos, inserted] = index.try_emplace(key, members.size());
      member(members, inserted ? nullptr : &members[pos->second].second, key, it.value(), depth);
      if (!ok_) break;
    }
    return members;
  }

  static std::uint64_t key_bit(std::string_view key) noexcept {
    std::size_t h = key.size();
    if (!key.empty()) {
      h = h * 31 + static_cast<unsigned char>(key.front());
      h = h * 31 + static_cast<unsigned char>(key.back());
    }
    return std::uint64_t{1} << (h & 63);
  }

  bool ok_ = true;
};

simdjson::error_code parse_into(dom::parser& parser, std::string_view text,
                                std::optional<json>& out) {
  if (parser.max_depth() != simdjson_depth) {
    if (auto ec = parser.allocate(parser.capacity(), simdjson_depth)) return ec;
  }
  dom::element root;
  if (auto ec = parser.parse(text.data(), text.size()).get(root)) return ec;
  converter c;
  c.root(root, out);
  return c.ok() ? simdjson::SUCCESS : simdjson::DEPTH_ERROR;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// simdjson 3.0 rejects integers beyond 64 bits; an exponent makes them reals, which we keep.
std::optional<std::string> widen_big_integers(std::string_view s) {
  std::string out;
  std::size_t copied = 0;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
      }
      ++i;
      continue;
    }
    if (c != '-' && !is_digit(c)) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    bool integral = true;
    for (; j < s.size() && (is_digit(s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
                            s[j] == '+' || s[j] == '-');
         ++j) {
      if (!is_digit(s[j])) integral = false;
    }
    const std::string_view token = s.substr(i, j - i);
    if (integral && token != "-") {
      std::int64_t si = 0;
      std::uint64_t ui = 0;
      const char* last = token.data() + token.size();
      const bool fits = c == '-' ? std::from_chars(token.data(), last, si).ec == std::errc{}
                                 : std::from_chars(token.data(), last, ui).ec == std::errc{};
      if (!fits) {
        out.append(s.substr(copied, j - copied));
        out += "e0";
        copied = j;
      }
    }
    i = j;
  }
  if (copied == 0) return std::nullopt;
  out.append(s.substr(copied));
  return out;
}

struct parse_failure {
  std::size_t offset;
  std::string what;
};

// Finds the first error and its offset; runs only after simdjson has rejected the text,
// so it favours clear messages over speed. Iterative, so any nesting depth is safe.
class error_locator {
 public:
  explicit error_locator(std::string_view s) : s_(s) {}
  std::optional<parse_failure> run();

 private:
  enum class state { value, key, after_value };
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool at_end() const { return i_ >= s_.size(); }
  unsigned char cur() const { return static_cast<unsigned char>(s_[i_]); }
  std::optional<parse_failure> unexpected(std::string_view expected);
  std::optional<parse_failure> string();
  std::optional<parse_failure> number();
  std::optional<parse_failure> literal();
  std::size_t utf8_length(std::size_t at) const;
  parse_failure invalid_utf8(std::size_t at) const {
    return {at, fmt::format("invalid UTF-8 (byte 0x{:02X})", static_cast<unsigned char>(s_[at]))};
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::vector<char> open_;
};

std::size_t error_locator::utf8_length(std::size_t at) const {
  const auto* p = reinterpret_cast<const unsigned char*>(s_.data()) + at;
  const std::size_t avail = s_.size() - at;
  const unsigned char c = p[0];
  std::size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    lo = c == 0xE0 ? 0xA0 : 0x80;
    hi = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (avail <= need || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t k = 2; k <= need; ++k) {
    if (p[k] < 0x80 || p[k] > 0xBF) return 0;
  }
  return need + 1;
}

std::optional<parse_failure> error_locator::unexpected(std::string_view expected) {
  if (at_end())
    return parse_failure{i_, fmt::format("unexpected end of input, expected {}", expected)};
  const unsigned char c = cur();
  if (c >= 0x80) {
    const std::size_t n = utf8_length(i_);
    if (n == 0) return invalid_utf8(i_);
    // Show the code point too: many non-ASCII characters (BOM, NBSP) are invisible.
    const auto* p = reinterpret_cast<const unsigned char*>(s_.data()) + i_;
    char32_t cp = n == 2 ? (p[0] & 0x1Fu) : n == 3 ? (p[0] & 0x0Fu) : (p[0] & 0x07u);
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (p[k] & 0x3Fu);
    return parse_failure{i_, fmt::format("expected {}, got '{}' (U+{:04X})", expected,
                                         s_.substr(i_, n), static_cast<std::uint32_t>(cp))};
  }
  if (c < 0x20 || c == 0x7F)
    return parse_failure{i_, fmt::format("expected {}, got U+{:04X}", expected, c)};
  return parse_failure{i_, fmt::format("expected {}, got '{}'", expected, static_cast<char>(c))};
}

std::optional<parse_failure> error_locator::string() {
  const std::size_t start = i_++;
  while (!at_end()) {
    const unsigned char c = cur();
    if (c == '"') {
      ++i_;
      return std::nullopt;
    }
    if (c == '\\') {
      const std::size_t esc = i_++;
      if (at_end()) break;
      const char e = s_[i_];
      if (e != 'u') {
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos)
          return parse_failure{esc, fmt::format("invalid escape '\\{}' in string", e)};
        ++i_;
        continue;
      }
      auto hex4 = [&](std::size_t at, unsigned& v) {
        if (at + 4 > s_.size()) return false;
        return std::from_chars(s_.data() + at, s_.data() + at + 4, v, 16).ptr == s_.data() + at + 4;
      };
      unsigned u = 0;
      if (!hex4(i_ + 1, u)) return parse_failure{esc, "invalid \\u escape: expected 4 hex digits"};
      i_ += 5;
      if (u >= 0xDC00 && u <= 0xDFFF)
        return parse_failure{esc, fmt::format("unpaired UTF-16 surrogate \\u{:04X}", u)};
      if (u >= 0xD800 && u <= 0xDBFF) {
        unsigned low = 0;
        if (i_ + 1 >= s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u' || !hex4(i_ + 2, low) ||
            low < 0xDC00 || low > 0xDFFF)
          return parse_failure{esc, fmt::format("unpaired UTF-16 surrogate \\u{:04X}", u)};
        i_ += 6;
      }
      continue;
    }
    if (c < 0x20)
      return parse_failure{i_, fmt::format("unescaped control character U+{:04X} in string", c)};
    if (c >= 0x80) {
      const std::size_t n = utf8_length(i_);
      if (n == 0) return invalid_utf8(i_);
      i_ += n;
      continue;
    }
    ++i_;
  }
  return parse_failure{start, "unterminated string"};
}

std::optional<parse_failure> error_locator::number() {
  const std::size_t start = i_;
  if (s_[i_] == '-') ++i_;
  if (at_end() || !is_digit(s_[i_])) return parse_failure{i_, "invalid number: expected a digit"};
  if (s_[i_] == '0' && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]))
    return parse_failure{start, "invalid number: leading zeros are not allowed"};
  const std::size_t int_begin = i_;
  while (!at_end() && is_digit(s_[i_])) ++i_;
  const std::size_t int_end = i_;
  std::size_t frac_begin = i_;
  if (!at_end() && s_[i_] == '.') {
    frac_begin = ++i_;
    if (at_end() || !is_digit(s_[i_]))
      return parse_failure{i_, "invalid number: expected a digit after '.'"};
    while (!at_end() && is_digit(s_[i_])) ++i_;
  }
  const std::size_t frac_end = i_;
  long long exponent = 0;
  if (!at_end() && (s_[i_] == 'e' || s_[i_] == 'E')) {
    ++i_;
    const bool negative = !at_end() && s_[i_] == '-';
    if (!at_end() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
    if (at_end() || !is_digit(s_[i_]))
      return parse_failure{i_, "invalid number: expected a digit in the exponent"};
    const std::size_t exp_begin = i_;
    while (!at_end() && is_digit(s_[i_])) ++i_;
    // Past a billion only the exponent's sign matters; clamping keeps the sums below in range.
    constexpr long long exponent_limit = 1'000'000'000;
    if (std::from_chars(s_.data() + exp_begin, s_.data() + i_, exponent).ec != std::errc{} ||
        exponent > exponent_limit)
      exponent = exponent_limit;
    if (negative) exponent = -exponent;
  }
  double d = 0;
  if (std::from_chars(s_.data() + start, s_.data() + i_, d).ec != std::errc::result_out_of_range)
    return std::nullopt;
  // from_chars reports underflow (which reads as 0) like overflow; only overflow is an error.
  long long magnitude = 0;
  if (s_[int_begin] != '0') {
    magnitude = static_cast<long long>(int_end - int_begin) - 1 + exponent;
  } else {
    std::size_t k = frac_begin;
    while (k < frac_end && s_[k] == '0') ++k;
    if (k == frac_end) return std::nullopt;
    magnitude = exponent - static_cast<long long>(k - frac_begin) - 1;
  }
  if (magnitude > 0) return parse_failure{start, "number out of range"};
  return std::nullopt;
}

std::optional<parse_failure> error_locator::literal() {
  std::size_t end = i_;
  while (end < s_.size() &&
         ((s_[end] >= 'a' && s_[end] <= 'z') || (s_[end] >= 'A' && s_[end] <= 'Z') ||
          is_digit(s_[end]) || s_[end] == '_'))
    ++end;
  const std::string_view word = s_.substr(i_, end - i_);
  if (word != "true" && word != "false" && word != "null") {
    const std::string_view shown = word.substr(0, 32);
    return parse_failure{i_, fmt::format("invalid literal '{}'", shown)};
  }
  i_ = end;
  return std::nullopt;
}

std::optional<parse_failure> error_locator::run() {
  skip_ws();
  if (at_end()) return parse_failure{i_, "empty document, expected a JSON value"};
  state st = state::value;
  for (;;) {
    skip_ws();
    switch (st) {
      case state::value: {
        if (at_end()) return unexpected("a value");
        const char c = s_[i_];
        if (c == '[' || c == '{') {
          if (open_.size() >= json::max_depth)
            return parse_failure{i_, fmt::format("nesting deeper than {} levels", json::max_depth)};
          open_.push_back(c);
          ++i_;
          skip_ws();
          if (!at_end() && s_[i_] == (c == '[' ? ']' : '}')) {
            open_.pop_back();
            ++i_;
            st = state::after_value;
          } else {
            st = c == '[' ? state::value : state::key;
          }
          continue;
        }
        std::optional<parse_failure> f;
        if (c == '"')
          f = string();
        else if (c == '-' || is_digit(c))
          f = number();
        else if (c == 't' || c == 'f' || c == 'n')
          f = literal();
        else
          return unexpected("a value");
        if (f) return f;
        st = state::after_value;
        continue;
      }
      case state::key: {
        if (at_end() || s_[i_] != '"') return unexpected("a string key");
        if (auto f = string()) return f;
        skip_ws();
        if (at_end() || s_[i_] != ':') return unexpected("':' after the object key");
        ++i_;
        st = state::value;
        continue;
      }
      case state::after_value: {
        if (open_.empty()) {
          if (at_end()) return std::nullopt;
          return unexpected("end of input after the JSON value");
        }
        const bool in_array = open_.back() == '[';
        const char close = in_array ? ']' : '}';
        if (!at_end() && s_[i_] == close) {
          open_.pop_back();
          ++i_;
          continue;
        }
        if (at_end() || s_[i_] != ',')
          return unexpected(in_array ? "',' or ']' after an array element"
                                     : "',' or '}' after an object member");
        const std::size_t comma = i_++;
        skip_ws();
        if (!at_end() && s_[i_] == close)
          return parse_failure{comma, fmt::format("trailing comma before '{}'", close)};
        st = in_array ? state::value : state::key;
        continue;
      }
    }
  }
}

std::string locate(std::string_view text, const parse_failure& f) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t k = 0; k < f.offset && k < text.size(); ++k) {
    const auto c = static_cast<unsigned char>(text[k]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;  // columns count characters, not UTF-8 bytes
    }
  }
  return fmt::format("line {}, column {}: {}", line, column, f.what);
}

}  // namespace

result<json> json::parse(std::string_view text) {
  // RFC 8259 lets parsers ignore a byte order mark; editors on Windows still write one.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  try {
    dom::parser& parser = thread_parser();
    std::optional<json> out;
    auto ec = parse_into(parser, text, out);
    // 3.0 says NUMBER_ERROR for big integers, later versions BIGINT_ERROR: retry on any error.
    if (ec != simdjson::SUCCESS && ec != simdjson::MEMALLOC && ec != simdjson::CAPACITY) {
      if (auto widened = widen_big_integers(text)) ec = parse_into(parser, *widened, out);
    }
    if (parser.capacity() > keep_capacity) parser = dom::parser{};
    if (ec == simdjson::SUCCESS) return std::move(*out);
    if (ec == simdjson::MEMALLOC)
      return fail(errc::resource_exhausted, "out of memory while parsing JSON");
    if (auto f = error_locator(text).run()) return fail(errc::invalid_argument, locate(text, *f));
    return fail(errc::invalid_argument,
                fmt::format("line 1, column 1: {}", simdjson::error_message(ec)));
  } catch (const std::bad_alloc&) {
    return fail(errc::resource_exhausted, "out of memory while parsing JSON");
  } catch (const std::exception& e) {
    return fail(errc::internal, fmt::format("unexpected failure while parsing JSON: {}", e.what()));
  }
}

}  // namespace durar
