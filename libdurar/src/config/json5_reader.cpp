// JSON5 (and therefore JSON) with the position of every value, for the original's
// openclaw.json. Recursion is bounded by max_nesting, so hostile input cannot overflow.
#include "config/document.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace durar::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

struct failure {
  std::size_t offset;
  std::string message;
  std::string path = {};  // the key path, for a duplicate key
};

class reader {
 public:
  explicit reader(document& doc) : doc_(doc), s_(doc.text) {}

  void run() {
    skip_space();
    if (i_ >= s_.size()) {
      doc_.root = json::object();  // an empty file is an empty config
      doc_.places[""] = node_place{1, 1, 0, 0, 0, 0, 0, 0, true, true, true};
      return;
    }
    doc_.root = value("", 0, i_);
    skip_space();
    if (i_ < s_.size()) throw failure{i_, "unexpected " + describe_here() + " after the value"};
  }

 private:
  document& doc_;
  std::string_view s_;
  std::size_t i_ = 0;

  std::string describe_here() const {
    if (i_ >= s_.size()) return "end of input";
    char c = s_[i_];
    if (c >= 0x20 && c < 0x7f) return std::string("'") + c + "'";
    return "character";
  }

  bool starts(std::string_view w) const { return s_.substr(i_, w.size()) == w; }

  // JSON5 white space: ASCII, BOM, NBSP, LS, PS; plus // and /* */ comments.
  void skip_space() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        ++i_;
      } else if (starts("\xEF\xBB\xBF") || starts("\xE2\x80\xA8") || starts("\xE2\x80\xA9")) {
        i_ += 3;
      } else if (starts("\xC2\xA0")) {
        i_ += 2;
      } else if (starts("//")) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (starts("/*")) {
        auto end = s_.find("*/", i_ + 2);
        if (end == std::string_view::npos) throw failure{i_, "unterminated /* comment"};
        i_ = end + 2;
      } else {
        return;
      }
    }
  }

  void record(const std::string& path, std::size_t key_begin, std::size_t begin) {
    node_place p;
    auto [line, col] = doc_.line_column(begin);
    auto [kline, kcol] = doc_.line_column(key_begin);
    p.line = line;
    p.column = col;
    p.key_line = kline;
    p.key_column = kcol;
    p.begin = begin;
    p.end = i_;
    p.key_begin = key_begin;
    p.lead = begin;
    doc_.places[path] = p;
  }

  json value(const std::string& path, std::size_t depth, std::size_t key_begin) {
    skip_space();
    if (i_ >= s_.size()) throw failure{i_, "unexpected end of input, expected a value"};
    std::size_t begin = i_;
    json v;
    char c = s_[i_];
    if (c == '{' || c == '[') {
      if (depth >= max_nesting)
        throw failure{i_, "nesting deeper than " + std::to_string(max_nesting) + " levels"};
      v = c == '{' ? object(path, depth) : array(path, depth);
    } else if (c == '"' || c == '\'') {
      v = string_literal();
    } else if (is_digit(c) || c == '-' || c == '+' || c == '.' || starts("Infinity") ||
               starts("NaN")) {
      v = number();
    } else if (is_ident_start(c)) {
      std::size_t start = i_;
      while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
      auto word = s_.substr(start, i_ - start);
      if (word == "true") {
        v = true;
      } else if (word == "false") {
        v = false;
      } else if (word == "null") {
        v = nullptr;
      } else {
        i_ = start;
        throw failure{start, "unexpected word '" + std::string(word.substr(0, 40)) +
                                 "' (strings need quotes)"};
      }
    } else {
      throw failure{i_, "unexpected " + describe_here() + ", expected a value"};
    }
    record(path, key_begin, begin);
    return v;
  }

  json object(const std::string& path, std::size_t depth) {
    ++i_;  // {
    json_object members;
    for (;;) {
      skip_space();
      if (i_ >= s_.size()) throw failure{i_, "unterminated object, expected '}'"};
      if (s_[i_] == '}') {
        ++i_;
        break;
      }
      std::size_t key_begin = i_;
      std::string key;
      if (s_[i_] == '"' || s_[i_] == '\'') {
        key = string_literal();
      } else if (is_ident_start(s_[i_]) || s_[i_] == '\\') {
        key = identifier();
      } else {
        throw failure{i_, "unexpected " + describe_here() + ", expected a key or '}'"};
      }
      skip_space();
      if (i_ >= s_.size() || s_[i_] != ':')
        throw failure{i_, "expected ':' after key '" + key.substr(0, 60) + "'"};
      ++i_;
      std::string child = path_key(path, key);
      // A duplicate key is an error: JSON5 (and JavaScript) would keep the last one silently,
      // which hides a mistake (two `gateway:` blocks, the first one ignored).
      if (std::any_of(members.begin(), members.end(),
                      [&](const auto& m) { return m.first == key; })) {
        const node_place* first = doc_.find(child);
        throw failure{key_begin, duplicate_key_message(first ? first->key_line : 0), child};
      }
      json v = value(child, depth + 1, key_begin);
      members.emplace_back(std::move(key), std::move(v));
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        break;
      }
      throw failure{i_, "unexpected " + describe_here() + ", expected ',' or '}'"};
    }
    return json(std::move(members));
  }

  json array(const std::string& path, std::size_t depth) {
    ++i_;  // [
    json_array items;
    for (;;) {
      skip_space();
      if (i_ >= s_.size()) throw failure{i_, "unterminated array, expected ']'"};
      if (s_[i_] == ']') {
        ++i_;
        break;
      }
      std::size_t item_begin = i_;
      items.push_back(value(path_index(path, items.size()), depth + 1, item_begin));
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        break;
      }
      throw failure{i_, "unexpected " + describe_here() + ", expected ',' or ']'"};
    }
    return json(std::move(items));
  }

  std::uint32_t hex_digits(std::size_t n) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (i_ >= s_.size() || !is_hex(s_[i_])) throw failure{i_, "bad hex digit in escape"};
      v = v * 16 + static_cast<std::uint32_t>(hex_value(s_[i_++]));
    }
    return v;
  }

  std::uint32_t unicode_escape() {
    std::uint32_t cp = hex_digits(4);
    if (cp >= 0xD800 && cp <= 0xDBFF && starts("\\u")) {
      std::size_t save = i_;
      i_ += 2;
      std::uint32_t low = hex_digits(4);
      if (low >= 0xDC00 && low <= 0xDFFF) return 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      i_ = save;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0xFFFD;  // lone surrogate
    return cp;
  }

  std::string identifier() {
    std::string out;
    while (i_ < s_.size()) {
      if (s_[i_] == '\\') {
        if (!starts("\\u")) throw failure{i_, "bad escape in key"};
        i_ += 2;
        append_utf8(out, unicode_escape());
      } else if (is_ident_char(s_[i_])) {
        out += s_[i_++];
      } else {
        break;
      }
    }
    return out;
  }

  std::string string_literal() {
    char quote = s_[i_];
    std::size_t start = i_++;
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) throw failure{start, "unterminated string"};
      char c = s_[i_];
      if (c == quote) {
        ++i_;
        return out;
      }
      if (c == '\n' || c == '\r') throw failure{i_, "unterminated string (newline in string)"};
      if (c != '\\') {
        out += c;
        ++i_;
        continue;
      }
      ++i_;
      if (i_ >= s_.size()) throw failure{start, "unterminated string"};
      char e = s_[i_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '0':
          if (i_ < s_.size() && is_digit(s_[i_]))
            throw failure{i_ - 2, "octal escapes are not allowed"};
          out += '\0';
          break;
        case 'x':
          append_utf8(out, hex_digits(2));
          break;
        case 'u':
          append_utf8(out, unicode_escape());
          break;
        case '\r':  // line continuation: backslash + CR, LF or CRLF
          if (i_ < s_.size() && s_[i_] == '\n') ++i_;
          break;
        case '\n':
          break;
        default:
          if (is_digit(e)) throw failure{i_ - 2, "digits cannot be escaped"};
          if (static_cast<unsigned char>(e) == 0xE2 && i_ + 1 < s_.size() && s_[i_] == '\x80' &&
              (s_[i_ + 1] == '\xA8' || s_[i_ + 1] == '\xA9')) {
            i_ += 2;  // backslash + LS/PS is a continuation too
            break;
          }
          out += e;  // \' \" \\ \/ and any other character stand for themselves
      }
    }
  }

  json number() {
    std::size_t start = i_;
    bool negative = false;
    if (s_[i_] == '+' || s_[i_] == '-') negative = s_[i_++] == '-';
    auto end_check = [&] {
      if (i_ < s_.size() && (is_ident_char(s_[i_]) || s_[i_] == '.'))
        throw failure{start, "malformed number"};
    };
    if (starts("Infinity")) {
      i_ += 8;
      end_check();
      return negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    }
    if (starts("NaN")) {
      i_ += 3;
      end_check();
      return std::numeric_limits<double>::quiet_NaN();
    }
    if (starts("0x") || starts("0X")) {
      i_ += 2;
      std::size_t digits = i_;
      while (i_ < s_.size() && is_hex(s_[i_])) ++i_;
      if (i_ == digits) throw failure{start, "malformed hex number"};
      end_check();
      std::uint64_t u = 0;
      auto [p, ec] = std::from_chars(s_.data() + digits, s_.data() + i_, u, 16);
      (void)p;
      if (ec != std::errc()) throw failure{start, "hex number out of range"};
      if (!negative) return json(static_cast<unsigned long long>(u));
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1)
        throw failure{start, "hex number out of range"};
      return json(static_cast<long long>(0 - u));
    }
    std::string int_part, frac_part, exp_part;
    while (i_ < s_.size() && is_digit(s_[i_])) int_part += s_[i_++];
    bool real = false;
    if (i_ < s_.size() && s_[i_] == '.') {
      real = true;
      ++i_;
      while (i_ < s_.size() && is_digit(s_[i_])) frac_part += s_[i_++];
    }
    if (int_part.empty() && frac_part.empty()) throw failure{start, "malformed number"};
    if (int_part.size() > 1 && int_part[0] == '0')
      throw failure{start, "leading zeros are not allowed"};
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      real = true;
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) exp_part += s_[i_++];
      std::size_t digits = exp_part.size();
      while (i_ < s_.size() && is_digit(s_[i_])) exp_part += s_[i_++];
      if (exp_part.size() == digits) throw failure{start, "malformed exponent"};
    }
    end_check();
    if (!real) {
      std::uint64_t u = 0;
      auto [p, ec] = std::from_chars(int_part.data(), int_part.data() + int_part.size(), u);
      (void)p;
      if (ec == std::errc()) {
        if (!negative) return json(static_cast<unsigned long long>(u));
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1)
          return json(static_cast<long long>(0 - u));
      }
    }
    std::string norm(negative ? "-" : "");
    norm.append(int_part.empty() ? "0" : int_part).append(".");
    norm.append(frac_part.empty() ? "0" : frac_part);
    if (!exp_part.empty()) norm.append("e").append(exp_part);
    double d = 0;
    auto [p, ec] = std::from_chars(norm.data(), norm.data() + norm.size(), d);
    (void)p;
    if (ec == std::errc::result_out_of_range)
      return negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    if (ec != std::errc()) throw failure{start, "malformed number"};
    return d;
  }
};

}  // namespace

parse_outcome read_json5(std::string text, const std::string& file) {
  parse_outcome out;
  document doc;
  doc.file = file;
  doc.format = doc_format::json5;
  doc.text = std::move(text);
  doc.index_lines();
  try {
    reader r(doc);
    r.run();
  } catch (const failure& f) {
    auto [line, col] = doc.line_column(f.offset);
    out.error = parse_error{line, col, f.message, f.path};
    return out;
  }
  if (!doc.root.is_object()) {
    out.error = parse_error{
        1, 1, "the config must be an object, not " + std::string(to_string(doc.root.type()))};
    return out;
  }
  out.doc = std::move(doc);
  return out;
}

}  // namespace durar::detail
