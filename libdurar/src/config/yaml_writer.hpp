// Writing YAML that Durar's reader turns back into the same value.
#pragma once

#include <durar/json.hpp>

#include <string>
#include <string_view>

namespace durar::detail {

// How the reader types a plain (unquoted) scalar: the YAML 1.2 core schema.
json resolve_yaml_plain(const std::string& s);

// A scalar, or an empty container as {} / [], on one line: plain when safe, else quoted.
std::string yaml_scalar(const json& v);
std::string yaml_key(std::string_view key);
// A value in flow style (one line): scalars as yaml_scalar, containers as JSON.
std::string yaml_flow(const json& v);
// What follows "key:" for `v` when the key sits at column `indent`: " scalar", or a newline
// and a block indented by two more; no trailing newline.
std::string yaml_after_colon(const json& v, int indent);
// A sequence item "- ..." whose dash sits at column `indent`; no leading indent, no newline.
std::string yaml_item(const json& v, int indent);
// A whole document (the root object) in block style.
std::string to_yaml(const json& root);

}  // namespace durar::detail
