// Tool schemas for Gemini: the original's clean-up (which keywords Gemini refuses, how unions
// and $ref are flattened), then the proto `Schema` form the `parameters` field expects.
#include "transports/google_generative_ai.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace durar::detail {

namespace {

bool unsupported_keyword(std::string_view key) {
  static const std::set<std::string_view> keys = {"patternProperties",
                                                  "additionalProperties",
                                                  "$schema",
                                                  "$id",
                                                  "$ref",
                                                  "$defs",
                                                  "definitions",
                                                  "examples",
                                                  "minLength",
                                                  "maxLength",
                                                  "minimum",
                                                  "maximum",
                                                  "multipleOf",
                                                  "pattern",
                                                  "format",
                                                  "minItems",
                                                  "maxItems",
                                                  "uniqueItems",
                                                  "minProperties",
                                                  "maxProperties",
                                                  "not"};
  return keys.count(key) != 0;
}

using defs_map = std::map<std::string, json>;

void copy_meta(const json& from, json& to) {
  for (const char* key : {"description", "title", "default"})
    if (const json* v = from.find(key)) to.set(key, *v);
}

defs_map extend_defs(const defs_map& defs, const json& schema) {
  defs_map next = defs;
  for (const char* key : {"$defs", "definitions"}) {
    const json* d = schema.find(key);
    if (d == nullptr || !d->is_object()) continue;
    for (const auto& [name, value] : d->as_object()) next[name] = value;
  }
  return next;
}

const json* resolve_ref(const std::string& ref, const defs_map& defs) {
  std::string name;
  for (std::string_view prefix : {"#/$defs/", "#/definitions/"})
    if (ref.rfind(prefix, 0) == 0) name = ref.substr(prefix.size());
  if (name.empty()) return nullptr;
  // JSON Pointer escapes.
  std::string decoded;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '~' && i + 1 < name.size() && (name[i + 1] == '0' || name[i + 1] == '1')) {
      decoded.push_back(name[i + 1] == '1' ? '/' : '~');
      ++i;
    } else {
      decoded.push_back(name[i]);
    }
  }
  auto it = defs.find(decoded);
  return it == defs.end() ? nullptr : &it->second;
}

bool is_null_schema(const json& v) {
  if (!v.is_object()) return false;
  if (const json* c = v.find("const"); c != nullptr && c->is_null()) return true;
  if (const json* e = v.find("enum"); e != nullptr && e->is_array() && e->size() == 1)
    return (*e)[0].is_null();
  const json& t = v["type"];
  if (t.is_string()) return t.as_string() == "null";
  return t.is_array() && t.size() == 1 && t[0].is_string() && t[0].as_string() == "null";
}

// A union of literals of one type becomes an enum; a union with null drops the null.
std::optional<json> simplify_union(const json& obj, json_array& variants) {
  json_array non_null;
  for (const auto& v : variants)
    if (!is_null_schema(v)) non_null.push_back(v);
  bool stripped = non_null.size() != variants.size();
  if (!non_null.empty()) {
    json values = json::array();
    std::string common;
    bool literal = true;
    for (const auto& v : non_null) {
      const json* lit = v.find("const");
      if (lit == nullptr) {
        const json* e = v.find("enum");
        if (e != nullptr && e->is_array() && e->size() == 1) lit = &(*e)[0];
      }
      const json& t = v["type"];
      if (lit == nullptr || !t.is_string() || (!common.empty() && common != t.as_string())) {
        literal = false;
        break;
      }
      common = t.as_string();
      values.push_back(*lit);
    }
    if (literal) {
      json out = json::object({{"type", common}, {"enum", std::move(values)}});
      copy_meta(obj, out);
      return out;
    }
  }
  if (stripped && non_null.size() == 1) {
    json out = non_null[0];
    if (out.is_object()) copy_meta(obj, out);
    return out;
  }
  if (stripped) variants = std::move(non_null);
  return std::nullopt;
}

// No union left for Gemini: one representative variant or type survives.
json flatten_union(const json& obj, const json_array& variants) {
  std::vector<const json*> objects;
  for (const auto& v : variants)
    if (v.is_object()) objects.push_back(&v);
  json out = json::object();
  if (objects.size() == 1) {
    out = *objects[0];
  } else if (const json& t = (*objects[0])["type"]; !t.is_null()) {
    out.set("type", t);
  }
  copy_meta(obj, out);
  return out;
}

json sanitize_required(json schema) {
  const json* req = schema.find("required");
  if (req == nullptr || !req->is_array()) return schema;
  const json* props = schema.find("properties");
  if (props == nullptr || !props->is_object()) {
    if (schema.string_or("type") == "object") schema.erase("required");
    return schema;
  }
  json kept = json::array();
  for (const auto& k : req->as_array())
    if (k.is_string() && props->contains(k.as_string())) kept.push_back(k);
  if (kept.empty())
    schema.erase("required");
  else
    schema.set("required", std::move(kept));
  return schema;
}

json clean(const json& schema, const defs_map& outer_defs, const std::set<std::string>& refs) {
  if (schema.is_array()) {
    json out = json::array();
    for (const auto& v : schema.as_array()) out.push_back(clean(v, outer_defs, refs));
    return out;
  }
  if (!schema.is_object()) return schema;
  defs_map defs = extend_defs(outer_defs, schema);

  if (const json* ref = schema.find("$ref"); ref != nullptr && ref->is_string()) {
    const std::string& r = ref->as_string();
    if (refs.count(r) != 0) return json::object();  // recursive: Gemini cannot express it
    json out = json::object();
    if (const json* target = resolve_ref(r, defs)) {
      std::set<std::string> deeper = refs;
      deeper.insert(r);
      out = clean(*target, defs, deeper);
      if (!out.is_object()) return out;
    }
    copy_meta(schema, out);
    return out;
  }

  std::optional<json_array> any_of, one_of;
  for (auto [key, slot] : {std::pair{"anyOf", &any_of}, std::pair{"oneOf", &one_of}}) {
    const json* v = schema.find(key);
    if (v == nullptr || !v->is_array()) continue;
    json_array cleaned;
    for (const auto& variant : v->as_array()) cleaned.push_back(clean(variant, defs, refs));
    if (auto simple = simplify_union(schema, cleaned)) return *simple;
    *slot = std::move(cleaned);
  }

  json out = json::object();
  for (const auto& [key, value] : schema.as_object()) {
    if (unsupported_keyword(key)) continue;
    if (key == "const") {
      out.set("enum", json::array({value}));
    } else if (key == "required" && value.is_array() && value.empty()) {
      continue;
    } else if (key == "type" && (any_of || one_of)) {
      continue;
    } else if (key == "type" && value.is_array()) {
      json types = json::array();
      for (const auto& t : value.as_array())
        if (!(t.is_string() && t.as_string() == "null")) types.push_back(t);
      out.set("type", types.size() == 1 ? types[0] : types);
    } else if (key == "properties") {
      json props = json::object();
      if (value.is_object())
        for (const auto& [name, sub] : value.as_object()) props.set(name, clean(sub, defs, refs));
      out.set("properties", std::move(props));
    } else if (key == "items" || key == "allOf") {
      out.set(key, clean(value, defs, refs));
    } else if (key == "anyOf" && any_of) {
      out.set(key, json(*any_of));
    } else if (key == "oneOf" && one_of) {
      out.set(key, json(*one_of));
    } else {
      out.set(key, value);
    }
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    const json* v = out.find(key);
    if (v == nullptr || !v->is_array()) continue;
    bool has_object = std::any_of(v->as_array().begin(), v->as_array().end(),
                                  [](const json& x) { return x.is_object(); });
    if (has_object) return sanitize_required(flatten_union(out, v->as_array()));
  }
  return sanitize_required(std::move(out));
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The proto Schema: only its fields, an upper-case `type` on every node.
json to_proto_schema(const json& s) {
  static const std::set<std::string_view> fields = {
      "type",          "format",    "title",
      "description",   "nullable",  "enum",
      "items",         "maxItems",  "minItems",
      "properties",    "required",  "minProperties",
      "maxProperties", "minimum",   "maximum",
      "minLength",     "maxLength", "pattern",
      "example",       "anyOf",     "propertyOrdering",
      "default"};
  if (!s.is_object()) return json::object({{"type", "STRING"}});
  json out = json::object();
  for (const auto& [key, value] : s.as_object()) {
    if (fields.count(key) == 0) continue;
    if (key == "type") {
      std::string t;
      if (value.is_string())
        t = value.as_string();
      else if (value.is_array() && !value.empty() && value[0].is_string())
        t = value[0].as_string();
      if (!t.empty()) out.set("type", upper(t));
    } else if (key == "properties" && value.is_object()) {
      json props = json::object();
      for (const auto& [name, sub] : value.as_object()) props.set(name, to_proto_schema(sub));
      out.set(key, std::move(props));
    } else if (key == "items") {
      out.set(key, to_proto_schema(value.is_array() && !value.empty() ? value[0] : value));
    } else if (key == "anyOf" && value.is_array()) {
      json variants = json::array();
      for (const auto& v : value.as_array()) variants.push_back(to_proto_schema(v));
      out.set(key, std::move(variants));
    } else if (key == "enum" && value.is_array()) {
      json values = json::array();
      for (const auto& v : value.as_array())
        values.push_back(v.is_string() ? v : json(v.dump()));  // the API takes string enums
      out.set(key, std::move(values));
    } else {
      out.set(key, value);
    }
  }
  if (!out.contains("type") && !out.contains("anyOf")) {
    out.set("type", out.contains("properties") ? "OBJECT"
                    : out.contains("items")    ? "ARRAY"
                                               : "STRING");
  }
  return out;
}

}  // namespace

json gemini_parameters(const json& json_schema) {
  if (!json_schema.is_object()) return json();
  json cleaned = clean(json_schema, {}, {});
  const json* props = cleaned.find("properties");
  // Gemini refuses an OBJECT without properties; a tool without arguments sends none.
  if (props == nullptr || !props->is_object() || props->empty()) return json();
  return to_proto_schema(cleaned);
}

}  // namespace durar::detail
