// Edits made on the source text, so that comments and layout outside the value survive.
// Each returns nullopt when the change cannot be made in place; the caller then re-emits.
#pragma once

#include <durar/json.hpp>
#include <durar/result.hpp>

#include "config/document.hpp"

#include <optional>
#include <string>
#include <vector>

namespace durar::detail {

// The value `root` becomes with `segments` set to `value` (intermediate objects created).
result<json> json_with_set(json root, const std::vector<std::string>& segments, json value);
// The value `root` becomes without `segments`; not_found when there is nothing there.
result<json> json_without(json root, const std::vector<std::string>& segments);

std::optional<std::string> text_with_set(const document& doc,
                                         const std::vector<std::string>& segments,
                                         const json& value);
std::optional<std::string> text_without(const document& doc,
                                        const std::vector<std::string>& segments);

// Shared by the JSON5 and YAML editors (edit_json5.cpp, edit_yaml.cpp).
struct text_tools {
  const document& doc;
  std::string text;  // the copy being edited

  [[nodiscard]] std::size_t line_start(std::size_t pos) const;
  [[nodiscard]] std::size_t line_end(std::size_t pos) const;
  [[nodiscard]] std::string indentation(std::size_t pos) const;  // of pos's line
  [[nodiscard]] bool blank(std::size_t from, std::size_t to) const;
  // Next character that is not white space or a comment (// and /* */, or # for YAML).
  [[nodiscard]] std::size_t next_significant(std::size_t pos) const;
  [[nodiscard]] int line_of(std::size_t pos) const { return doc.line_column(pos).first; }
  // Removes member or item `child` of a flow collection (JSON5 or YAML flow style).
  bool remove_flow_entry(const std::string& parent_path, const json& parent,
                         const std::string& child_path, std::size_t child_index);
};

std::optional<std::string> json5_replace(text_tools& t, const std::string& path, const json& value);
std::optional<std::string> json5_insert(text_tools& t, const std::string& parent_path,
                                        const json& parent, const std::string* key,
                                        const json& value);
std::optional<std::string> yaml_replace(text_tools& t, const std::string& path, const json& value);
std::optional<std::string> yaml_insert(text_tools& t, const std::string& parent_path,
                                       const json& parent, const std::string* key,
                                       const json& value);
std::optional<std::string> yaml_remove(text_tools& t, const std::string& parent_path,
                                       const json& parent, const std::string& child_path,
                                       std::size_t child_index);

}  // namespace durar::detail
