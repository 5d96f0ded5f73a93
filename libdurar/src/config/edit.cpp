// config get/set/unset/write/import: edits are validated before anything is written, and
// written atomically (temporary file in the same directory, fsync, rename).
#include "config/edit_text.hpp"
#include "config/loading.hpp"
#include "config/yaml_writer.hpp"
#include "core/file_io.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace durar {
namespace detail {
namespace {

result<document> parse_or_fail(std::string text, const std::string& file) {
  auto parsed = parse_document(std::move(text), file);
  if (!parsed.doc) return fail(errc::invalid_argument, parse_issue(file, parsed.error).describe());
  return std::move(*parsed.doc);
}

// Validation of text about to be written: structure only, a missing ${VAR} is fine.
result<std::vector<config_issue>> validate_text(const std::string& text, const std::string& file) {
  auto doc = parse_or_fail(text, file);
  if (!doc) return fail(doc.error());
  config_paths paths;
  paths.config_file = file;
  auto check = check_document(std::move(*doc), environment::from_process(), std::move(paths), true,
                              check_mode{false});
  if (check.ok()) return std::move(check.value->warnings);
  std::string message = "the config would be invalid; nothing was written:";
  for (const auto& issue : check.issues)
    if (issue.level == config_issue::severity::error) message += "\n" + issue.describe();
  return fail(errc::invalid_argument, message);
}

// One key path is the other or lies below it.
bool related(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  return b.starts_with(a) &&
         (a.empty() || b.size() == a.size() || b[a.size()] == '.' || b[a.size()] == '[');
}

bool has_non_finite(const json& v) {
  if (v.type() == json_type::real) return !std::isfinite(v.as_double());
  if (v.is_array()) return std::any_of(v.as_array().begin(), v.as_array().end(), has_non_finite);
  if (v.is_object())
    return std::any_of(v.as_object().begin(), v.as_object().end(),
                       [](const auto& m) { return has_non_finite(m.second); });
  return false;
}

// The document re-emitted whole; JSON cannot hold JSON5's Infinity and NaN, so a file that
// has them is refused rather than silently changed.
result<std::string> whole_text(const json& root, doc_format format, const std::string& file) {
  if (format == doc_format::yaml) return to_yaml(root);
  if (has_non_finite(root))
    return fail(errc::invalid_argument,
                file +
                    ": this edit needs the whole file rewritten, and its Infinity/NaN values "
                    "have no JSON form; nothing was written, edit the file by hand");
  return root.dump(2) + "\n";
}

// Shared by set and unset: edit in place (or re-emit), check, validate, write.
result<void> apply_edit(const std::filesystem::path& file, std::string_view path,
                        const json& expected_root, const document& doc, bool existed,
                        std::optional<std::string> edited, std::vector<config_issue>& notes) {
  if (edited) {
    auto again = parse_document(*edited, doc.file);
    if (!again.doc || !(again.doc->root == expected_root)) edited.reset();
  }
  bool rewritten = !edited;
  std::string text;
  if (edited) {
    text = std::move(*edited);
  } else {
    auto whole = whole_text(expected_root, doc.format, doc.file);
    if (!whole) return fail(whole.error());
    text = std::move(*whole);
  }
  auto warnings = validate_text(text, doc.file);
  if (!warnings) return fail(warnings.error());
  if (auto written = write_file_atomic(file, text); !written) return written;
  if (rewritten && existed && doc.text.find_first_not_of(" \t\r\n") != std::string::npos) {
    config_issue note;
    note.level = config_issue::severity::warning;
    note.file = doc.file;
    note.path = std::string(path);
    note.message =
        "could not edit the value in place; the whole file was rewritten and its "
        "comments and layout were not kept";
    notes.push_back(note);
  }
  for (auto& w : *warnings)
    if (related(w.path, path)) notes.push_back(std::move(w));
  return {};
}

// The path to remove so that no object is left empty by the unset: while the object
// holding the last key has no other member (and is itself a member of an object), remove
// that object instead. `gateway.port` alone under gateway removes gateway, as the
// original's unsetConfigValueAtPath does; array items and emptied arrays stay.
std::vector<std::string> without_emptied_parents(const json& root,
                                                 std::vector<std::string> segments) {
  while (segments.size() > 1) {
    const std::size_t n = segments.size();
    const json* parent = &root;
    for (std::size_t i = 0; i + 1 < n && parent != nullptr; ++i) {
      auto index = index_segment(segments[i]);
      if (!index)
        parent = parent->find(segments[i]);
      else
        parent = parent->is_array() && *index < parent->size() ? &(*parent)[*index] : nullptr;
    }
    if (parent == nullptr || !parent->is_object() || parent->size() != 1 ||
        index_segment(segments[n - 2]) || index_segment(segments[n - 1]) ||
        parent->find(segments[n - 1]) == nullptr)
      break;
    segments.pop_back();
  }
  return segments;
}

bool secret_key(std::string_view key) {
  std::string k(key);
  for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k.find("password") != std::string::npos || k.find("secret") != std::string::npos ||
         k.ends_with("token") || k.ends_with("key") || k == "authorization" || k == "cookie" ||
         k == "x-api-key" || k == "api-key";
}

// "${NAME}" alone names a variable, not a secret: showing it helps.
bool only_reference(const std::string& s) {
  return s.size() > 3 && s.starts_with("${") && s.back() == '}' &&
         s.find_first_of("${}", 2) == s.size() - 1;
}

json redact(const json& v, bool hide) {
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [key, child] : v.as_object())
      out.set(key, redact(child, hide || secret_key(key)));
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& item : v.as_array()) out.push_back(redact(item, hide));
    return out;
  }
  if (hide && v.is_string() && !v.as_string().empty() && !only_reference(v.as_string()))
    return "***";
  return v;
}

}  // namespace
}  // namespace detail

result<json> config_get(const std::filesystem::path& file, std::string_view path) try {
  auto segments = parse_key_path(path);
  if (!segments) return fail(segments.error());
  bool exists = false;
  auto text = detail::read_file(file, exists);
  if (!text) return fail(text.error());
  if (!exists) return fail(errc::not_found, "no config file at " + file.string());
  auto doc = detail::parse_or_fail(std::move(*text), file.string());
  if (!doc) return fail(doc.error());
  const json* cur = &doc->root;
  for (const auto& seg : *segments) {
    auto index = detail::index_segment(seg);
    const json* next = nullptr;
    if (index && cur->is_array() && *index < cur->size()) next = &(*cur)[*index];
    if (!index) next = cur->find(seg);
    if (next == nullptr) return fail(errc::not_found, "no value at " + std::string(path));
    cur = next;
  }
  return *cur;
} catch (const std::exception& e) {
  return fail(errc::internal, std::string("config get: ") + e.what());
}

result<void> config_set(const std::filesystem::path& file, std::string_view path,
                        std::string_view value, std::vector<config_issue>& notes) {
  try {
    auto segments = parse_key_path(path);
    if (!segments) return fail(segments.error());
    auto parsed_value = json::parse(value);
    json v = parsed_value ? std::move(*parsed_value) : json(std::string(value));
    bool exists = false;
    auto text = detail::read_file(file, exists);
    if (!text) return fail(text.error());
    auto doc = detail::parse_or_fail(std::move(*text), file.string());
    if (!doc) return fail(doc.error());
    auto expected = detail::json_with_set(doc->root, *segments, v);
    if (!expected) return fail(expected.error());
    auto edited = detail::text_with_set(*doc, *segments, v);
    return detail::apply_edit(file, path, *expected, *doc, exists, std::move(edited), notes);
  } catch (const std::exception& e) {
    return fail(errc::internal, std::string("config set: ") + e.what());
  }
}

result<void> config_set(const std::filesystem::path& file, std::string_view path,
                        std::string_view value) {
  std::vector<config_issue> notes;
  return config_set(file, path, value, notes);
}

result<void> config_unset(const std::filesystem::path& file, std::string_view path,
                          std::vector<config_issue>& notes) {
  try {
    auto segments = parse_key_path(path);
    if (!segments) return fail(segments.error());
    bool exists = false;
    auto text = detail::read_file(file, exists);
    if (!text) return fail(text.error());
    if (!exists) return fail(errc::not_found, "no config file at " + file.string());
    auto doc = detail::parse_or_fail(std::move(*text), file.string());
    if (!doc) return fail(doc.error());
    auto expected = detail::json_without(doc->root, *segments);
    if (!expected) return fail(expected.error());
    auto removed = detail::without_emptied_parents(doc->root, *segments);
    if (removed.size() != segments->size()) {
      expected = detail::json_without(doc->root, removed);
      if (!expected) return fail(expected.error());
    }
    auto edited = detail::text_without(*doc, removed);
    return detail::apply_edit(file, path, *expected, *doc, exists, std::move(edited), notes);
  } catch (const std::exception& e) {
    return fail(errc::internal, std::string("config unset: ") + e.what());
  }
}

result<void> config_unset(const std::filesystem::path& file, std::string_view path) {
  std::vector<config_issue> notes;
  return config_unset(file, path, notes);
}

result<void> config_write(const std::filesystem::path& file, std::string_view text) {
  try {
    std::string content(text);
    auto checked = detail::validate_text(content, file.string());
    if (!checked) return fail(checked.error());
    return detail::write_file_atomic(file, content);
  } catch (const std::exception& e) {
    return fail(errc::internal, std::string("config write: ") + e.what());
  }
}

result<std::string> config_to_yaml(const std::filesystem::path& source) {
  try {
    bool exists = false;
    auto text = detail::read_file(source, exists);
    if (!text) return fail(text.error());
    if (!exists) return fail(errc::not_found, "no such file: " + source.string());
    auto checked = detail::validate_text(*text, source.string());
    if (!checked) return fail(checked.error());
    auto doc = detail::parse_or_fail(std::move(*text), source.string());
    if (!doc) return fail(doc.error());
    return "# Converted by durar from " + source.filename().string() + "\n" +
           detail::to_yaml(doc->root);
  } catch (const std::exception& e) {
    return fail(errc::internal, std::string("config import: ") + e.what());
  }
}

json redact_secrets(const json& doc) { return detail::redact(doc, false); }

json redact_secrets(const json& value, std::string_view path) {
  bool hide = false;
  if (auto segments = parse_key_path(path))
    for (const auto& s : *segments) hide = hide || (!s.starts_with("[") && detail::secret_key(s));
  return detail::redact(value, hide);
}

}  // namespace durar
