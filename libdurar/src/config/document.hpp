// The parsed config file: its JSON value plus where every value sits in the source text,
// so that issues can name file:line:column and edits can rewrite one value in place.
#pragma once

#include <durar/config.hpp>
#include <durar/json.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail {

enum class doc_format { yaml, json5 };

// Nesting deeper than this is refused by both readers (bounded recursion).
inline constexpr std::size_t max_nesting = 256;

// Where one value sits in the source. Offsets are bytes; lines and columns are 1-based.
struct node_place {
  int line = 0, column = 0;          // start of the value
  int key_line = 0, key_column = 0;  // its key (object members) or "-" (YAML items)
  std::size_t begin = 0, end = 0;    // the value's text
  std::size_t key_begin = 0;         // the member's key, or the YAML item's "-"
  std::size_t lead = 0;              // YAML: just after the ':' or '-' that introduces it
  bool flow = true;                  // JSON5 text, or YAML flow style / inside a flow collection
  bool in_flow = true;               // its parent is written in flow style (always for JSON5)
  bool editable = true;              // false when the span could not be located exactly
};

struct document {
  json root = json::object();
  std::string file;
  doc_format format = doc_format::yaml;
  std::string text;
  std::vector<std::size_t> line_starts;                   // byte offset of each line
  std::map<std::string, node_place, std::less<>> places;  // key path ("" = root) → place

  [[nodiscard]] const node_place* find(std::string_view path) const;
  // The position for an issue about `path`: its key (or value), else its nearest parent's.
  [[nodiscard]] std::pair<int, int> position(std::string_view path, bool at_key) const;
  // 1-based line and column of a byte offset.
  [[nodiscard]] std::pair<int, int> line_column(std::size_t offset) const;
  void index_lines();
};

// A parse failure with its position; message has no file prefix.
struct parse_error {
  int line = 0, column = 0;
  std::string message;
  std::string path = {};  // the key path it is about (a duplicate key), else ""
};

// The message for a key written twice in one object, with the line of its first occurrence.
std::string duplicate_key_message(int first_line);

struct parse_outcome {
  std::optional<document> doc;
  parse_error error;
};

doc_format format_for(std::string_view file);
parse_outcome parse_document(std::string text, const std::string& file);
parse_outcome read_json5(std::string text, const std::string& file);
parse_outcome read_yaml(std::string text, const std::string& file);

// Key paths as used in issues and places: a.b[0]["x.y"].
std::string path_key(std::string_view parent, std::string_view key);
std::string path_index(std::string_view parent, std::size_t index);
std::string format_key_path(const std::vector<std::string>& segments);
// "[N]" segments from parse_key_path(): the index, else nullopt.
std::optional<std::size_t> index_segment(std::string_view segment);

config_issue make_issue(const document& doc, config_issue::severity level, std::string path,
                        std::string message, bool at_key = false);
config_issue parse_issue(const std::string& file, const parse_error& e);

}  // namespace durar::detail
