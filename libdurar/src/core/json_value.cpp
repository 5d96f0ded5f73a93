#include <durar/json.hpp>

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace durar {
namespace {

[[noreturn]] void throw_type_error(std::string_view expected, json_type got) {
  throw std::logic_error(fmt::format("json: expected {}, got {}", expected, to_string(got)));
}

const json& shared_null() noexcept {
  static const json null_value;
  return null_value;
}

// Exact comparison: converting the integer to double would make 2^53 + 1 equal 2^53.
bool int_equals_double(std::int64_t i, double d) noexcept {
  constexpr double two_63 = 9223372036854775808.0;
  if (!(d >= -two_63 && d < two_63) || std::trunc(d) != d) return false;
  return static_cast<std::int64_t>(d) == i;
}

bool uint_equals_double(std::uint64_t u, double d) noexcept {
  constexpr double two_64 = 18446744073709551616.0;
  if (!(d >= 0 && d < two_64) || std::trunc(d) != d) return false;
  return static_cast<std::uint64_t>(d) == u;
}

bool numbers_equal(const json& a, const json& b) noexcept {
  const auto ta = a.type();
  const auto tb = b.type();
  if (ta == json_type::real && tb == json_type::real) {
    // Structural equality: a NaN read from JSON5 equals itself, so a document equals its copy.
    const double x = a.as_double(), y = b.as_double();
    return x == y || (std::isnan(x) && std::isnan(y));
  }
  if (ta == json_type::real || tb == json_type::real) {
    const json& r = ta == json_type::real ? a : b;
    const json& n = ta == json_type::real ? b : a;
    return n.type() == json_type::integer ? int_equals_double(n.as_int(), r.as_double())
                                          : uint_equals_double(n.as_uint(), r.as_double());
  }
  if (ta == json_type::integer && tb == json_type::integer) return a.as_int() == b.as_int();
  if (ta == json_type::uinteger && tb == json_type::uinteger) return a.as_uint() == b.as_uint();
  const json& s = ta == json_type::integer ? a : b;  // signed side
  const json& u = ta == json_type::integer ? b : a;
  return s.as_int() >= 0 && static_cast<std::uint64_t>(s.as_int()) == u.as_uint();
}

bool objects_equal(const json_object& a, const json_object& b) noexcept {
  if (a.size() != b.size()) return false;
  // Fast path: same key order, which is the common case for round-tripped values.
  std::size_t i = 0;
  for (; i < a.size(); ++i) {
    if (a[i].first != b[i].first) break;
    if (!(a[i].second == b[i].second)) return false;
  }
  for (; i < a.size(); ++i) {
    const json* other = nullptr;
    for (const auto& [key, value] : b) {
      if (key == a[i].first) {
        other = &value;
        break;
      }
    }
    if (other == nullptr || !(a[i].second == *other)) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(json_type t) noexcept {
  switch (t) {
    case json_type::null:
      return "null";
    case json_type::boolean:
      return "boolean";
    case json_type::integer:
      return "integer";
    case json_type::uinteger:
      return "integer";
    case json_type::real:
      return "number";
    case json_type::string:
      return "string";
    case json_type::array:
      return "array";
    case json_type::object:
      return "object";
  }
  return "unknown";
}

void json::set_unsigned(std::uint64_t u) noexcept {
  // Keep one representation per value: uinteger only holds what int64 cannot.
  if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    v_ = static_cast<std::int64_t>(u);
  else
    v_ = u;
}

json json::object(std::initializer_list<std::pair<std::string, json>> members) {
  json out{json_object{}};
  auto& obj = out.as_object();
  obj.reserve(members.size());
  for (const auto& [key, value] : members) out.set(key, value);
  return out;
}

json json::array(std::initializer_list<json> items) { return json{json_array(items)}; }

bool json::as_bool() const {
  if (const auto* b = std::get_if<bool>(&v_)) return *b;
  throw_type_error("boolean", type());
}

std::int64_t json::as_int() const {
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) {
    if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return static_cast<std::int64_t>(*u);
    throw std::logic_error(fmt::format("json: integer {} does not fit in int64", *u));
  }
  throw_type_error("integer", type());
}

std::uint64_t json::as_uint() const {
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) return *u;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) {
    if (*i >= 0) return static_cast<std::uint64_t>(*i);
    throw std::logic_error(fmt::format("json: expected non-negative integer, got {}", *i));
  }
  throw_type_error("integer", type());
}

double json::as_double() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) return static_cast<double>(*u);
  throw_type_error("number", type());
}

const std::string& json::as_string() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  throw_type_error("string", type());
}

std::string& json::as_string() {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  throw_type_error("string", type());
}

const json_array& json::as_array() const {
  if (const auto* a = std::get_if<json_array>(&v_)) return *a;
  throw_type_error("array", type());
}

json_array& json::as_array() {
  if (auto* a = std::get_if<json_array>(&v_)) return *a;
  throw_type_error("array", type());
}

const json_object& json::as_object() const {
  if (const auto* o = std::get_if<json_object>(&v_)) return *o;
  throw_type_error("object", type());
}

json_object& json::as_object() {
  if (auto* o = std::get_if<json_object>(&v_)) return *o;
  throw_type_error("object", type());
}

std::string json::string_or(std::string_view key, std::string_view fallback) const {
  const json* v = find(key);
  if (v != nullptr && v->is_string()) return v->as_string();
  return std::string(fallback);
}

std::int64_t json::int_or(std::string_view key, std::int64_t fallback) const {
  const json* v = find(key);
  if (v != nullptr && v->type() == json_type::integer) return v->as_int();
  return fallback;
}

double json::number_or(std::string_view key, double fallback) const {
  const json* v = find(key);
  if (v != nullptr && v->is_number()) return v->as_double();
  return fallback;
}

bool json::bool_or(std::string_view key, bool fallback) const {
  const json* v = find(key);
  if (v != nullptr && v->is_bool()) return v->as_bool();
  return fallback;
}

const json* json::find(std::string_view key) const noexcept {
  const auto* obj = std::get_if<json_object>(&v_);
  if (obj == nullptr) return nullptr;
  for (const auto& [k, value] : *obj) {
    if (k == key) return &value;
  }
  return nullptr;
}

json* json::find(std::string_view key) noexcept {
  return const_cast<json*>(static_cast<const json*>(this)->find(key));
}

const json& json::operator[](std::string_view key) const noexcept {
  const json* v = find(key);
  return v != nullptr ? *v : shared_null();
}

const json& json::operator[](std::size_t index) const noexcept {
  const auto* arr = std::get_if<json_array>(&v_);
  if (arr == nullptr || index >= arr->size()) return shared_null();
  return (*arr)[index];
}

json& json::operator[](std::string_view key) {
  if (is_null()) v_ = json_object{};
  if (json* v = find(key)) return *v;
  auto& obj = as_object();
  obj.emplace_back(std::string(key), json{});
  return obj.back().second;
}

json& json::set(std::string_view key, json value) {
  if (is_null()) v_ = json_object{};
  if (json* v = find(key)) {
    *v = std::move(value);
    return *v;
  }
  auto& obj = as_object();
  obj.emplace_back(std::string(key), std::move(value));
  return obj.back().second;
}

bool json::erase(std::string_view key) {
  auto* obj = std::get_if<json_object>(&v_);
  if (obj == nullptr) return false;
  for (auto it = obj->begin(); it != obj->end(); ++it) {
    if (it->first == key) {
      obj->erase(it);
      return true;
    }
  }
  return false;
}

json& json::push_back(json value) {
  if (is_null()) v_ = json_array{};
  auto& arr = as_array();
  arr.push_back(std::move(value));
  return arr.back();
}

std::size_t json::size() const noexcept {
  if (const auto* a = std::get_if<json_array>(&v_)) return a->size();
  if (const auto* o = std::get_if<json_object>(&v_)) return o->size();
  return 0;
}

bool operator==(const json& a, const json& b) noexcept {
  if (a.is_number() && b.is_number()) return numbers_equal(a, b);
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case json_type::null:
      return true;
    case json_type::boolean:
      return a.as_bool() == b.as_bool();
    case json_type::string:
      return a.as_string() == b.as_string();
    case json_type::array:
      return a.as_array() == b.as_array();
    case json_type::object:
      return objects_equal(a.as_object(), b.as_object());
    default:
      return false;
  }
}

}  // namespace durar
