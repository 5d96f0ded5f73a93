// durar::json: a small JSON value for tool arguments, transcripts and wire bodies.
//
// Parsing uses simdjson (validating UTF-8, bounded depth); writing escapes per RFC 8259
// and always emits valid UTF-8. Objects keep their key order. Numbers keep their kind:
// integers round-trip exactly (int64 or uint64), reals are written in the shortest form
// that reads back to the same double. A value owns its children; copies are deep.
#pragma once

#include <durar/export.hpp>
#include <durar/result.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace durar {

class json;
using json_array = std::vector<json>;
// Ordered members; lookups are linear, which is fastest for the small objects JSON APIs use.
using json_object = std::vector<std::pair<std::string, json>>;

enum class json_type { null, boolean, integer, uinteger, real, string, array, object };

class DURAR_API json {
 public:
  // Maximum nesting depth parse() accepts; deeper input is an error, never a stack overflow.
  static constexpr std::size_t max_depth = 512;

  json() noexcept = default;
  json(std::nullptr_t) noexcept {}                                  // NOLINT(implicit)
  json(bool b) noexcept : v_(b) {}                                  // NOLINT(implicit)
  json(int i) noexcept : v_(static_cast<std::int64_t>(i)) {}        // NOLINT
  json(long i) noexcept : v_(static_cast<std::int64_t>(i)) {}       // NOLINT
  json(long long i) noexcept : v_(static_cast<std::int64_t>(i)) {}  // NOLINT
  json(unsigned i) noexcept : v_(static_cast<std::int64_t>(i)) {}   // NOLINT
  json(unsigned long u) noexcept { set_unsigned(u); }               // NOLINT
  json(unsigned long long u) noexcept { set_unsigned(u); }          // NOLINT
  json(double d) noexcept : v_(d) {}                                // NOLINT
  json(std::string s) noexcept : v_(std::move(s)) {}                // NOLINT
  json(std::string_view s) : v_(std::string(s)) {}                  // NOLINT
  json(const char* s) : v_(std::string(s)) {}                       // NOLINT
  json(json_array a) noexcept : v_(std::move(a)) {}                 // NOLINT
  json(json_object o) noexcept : v_(std::move(o)) {}                // NOLINT

  // json::object({{"role", "user"}, {"content", "hi"}})
  static json object(std::initializer_list<std::pair<std::string, json>> members = {});
  static json array(std::initializer_list<json> items = {});

  // Parses one JSON document (RFC 8259; UTF-8 validated). Errors are invalid_argument
  // with "line L, column C: what" in the message.
  static result<json> parse(std::string_view text);

  // Compact when indent < 0, else pretty-printed with that many spaces per level.
  // Invalid UTF-8 in strings is written as U+FFFD; NaN and infinities as null.
  [[nodiscard]] std::string dump(int indent = -1) const;
  void dump_to(std::string& out, int indent = -1) const;

  [[nodiscard]] json_type type() const noexcept { return static_cast<json_type>(v_.index()); }
  [[nodiscard]] bool is_null() const noexcept { return type() == json_type::null; }
  [[nodiscard]] bool is_bool() const noexcept { return type() == json_type::boolean; }
  [[nodiscard]] bool is_number() const noexcept {
    auto t = type();
    return t == json_type::integer || t == json_type::uinteger || t == json_type::real;
  }
  [[nodiscard]] bool is_integer() const noexcept {
    return type() == json_type::integer || type() == json_type::uinteger;
  }
  [[nodiscard]] bool is_string() const noexcept { return type() == json_type::string; }
  [[nodiscard]] bool is_array() const noexcept { return type() == json_type::array; }
  [[nodiscard]] bool is_object() const noexcept { return type() == json_type::object; }

  // Typed access. Asking for the wrong type throws std::logic_error: it is a programming
  // mistake, not bad input. Check the type (or use the *_or getters) on untrusted data.
  [[nodiscard]] bool as_bool() const;
  [[nodiscard]] std::int64_t as_int() const;    // integer, or uinteger that fits
  [[nodiscard]] std::uint64_t as_uint() const;  // non-negative integer
  [[nodiscard]] double as_double() const;       // any number
  [[nodiscard]] const std::string& as_string() const;
  [[nodiscard]] std::string& as_string();
  [[nodiscard]] const json_array& as_array() const;
  [[nodiscard]] json_array& as_array();
  [[nodiscard]] const json_object& as_object() const;
  [[nodiscard]] json_object& as_object();

  // Lenient getters for reading wire data: the fallback when missing or of another type.
  [[nodiscard]] std::string string_or(std::string_view key, std::string_view fallback = {}) const;
  [[nodiscard]] std::int64_t int_or(std::string_view key, std::int64_t fallback) const;
  [[nodiscard]] double number_or(std::string_view key, double fallback) const;
  [[nodiscard]] bool bool_or(std::string_view key, bool fallback) const;

  // Object member lookup: nullptr when not an object or no such key.
  [[nodiscard]] const json* find(std::string_view key) const noexcept;
  [[nodiscard]] json* find(std::string_view key) noexcept;
  [[nodiscard]] bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  // Read access: a shared null for a missing key, a non-object or an index out of range.
  [[nodiscard]] const json& operator[](std::string_view key) const noexcept;
  [[nodiscard]] const json& operator[](std::size_t index) const noexcept;
  [[nodiscard]] const json& operator[](int index) const noexcept {
    return (*this)[static_cast<std::size_t>(index)];
  }
  [[nodiscard]] const json& operator[](const char* key) const noexcept {
    return (*this)[std::string_view(key)];
  }
  // Keeps `j[0]` on a non-const json from being ambiguous with `j[const char*]`.
  [[nodiscard]] const json& operator[](int index) noexcept { return std::as_const(*this)[index]; }
  // Write access: a null value turns into an object; a missing key is appended.
  json& operator[](std::string_view key);
  json& operator[](const char* key) { return (*this)[std::string_view(key)]; }
  // Sets or replaces a member, keeping the key's position when it exists.
  json& set(std::string_view key, json value);
  bool erase(std::string_view key);
  // Appends to an array; a null value turns into an array.
  json& push_back(json value);

  // Number of members or items; 0 for scalars.
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  // Structural equality; integers and reals compare by value (1 == 1.0), NaN equals NaN,
  // object member order does not matter.
  friend DURAR_API bool operator==(const json& a, const json& b) noexcept;

 private:
  void set_unsigned(std::uint64_t u) noexcept;
  std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, json_array,
               json_object>
      v_;
};

// Name of a type for messages: "null", "boolean", "integer", "number", "string", ...
DURAR_API std::string_view to_string(json_type t) noexcept;

// Appends `s` to `out` as a quoted JSON string literal.
DURAR_API void json_quote(std::string& out, std::string_view s);

}  // namespace durar
