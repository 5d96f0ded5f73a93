// The edit tool: exact-text replacements in one file, each oldText unique, all matched
// against the original. CRLF files and a BOM survive; near misses on trailing whitespace,
// typographic quotes, dashes and odd spaces still match, changing only the matched span.
#include <durar/tools.hpp>

#include <fmt/format.h>

#include "tools/fs_paths.hpp"
#include "tools/fs_text.hpp"
#include "tools/line_diff.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace durar {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t mismatch_snippet = 800;  // of the file, shown when oldText is not found

// A text with look-alike characters folded and trailing whitespace dropped, and for each of
// its bytes the offset of the original byte it came from (plus one past the end).
struct folded {
  std::string text;
  std::vector<std::size_t> origin;
};

folded fold(std::string_view s) {
  folded f;
  f.text.reserve(s.size());
  f.origin.reserve(s.size() + 1);
  std::size_t line_start = 0;  // in f.text
  auto trim_line = [&] {
    while (f.text.size() > line_start && (f.text.back() == ' ' || f.text.back() == '\t' ||
                                          f.text.back() == '\v' || f.text.back() == '\f')) {
      f.text.pop_back();
      f.origin.pop_back();
    }
  };
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      trim_line();
      f.text += '\n';
      f.origin.push_back(i);
      line_start = f.text.size();
      ++i;
      continue;
    }
    // Only 2- and 3-byte sequences hold the characters folded here.
    if (c >= 0xC2 && c < 0xF0) {
      std::size_t len = c < 0xE0 ? 2 : 3;
      if (i + len <= s.size()) {
        char32_t cp = len == 2 ? (c & 0x1Fu) : (c & 0x0Fu);
        bool ok = true;
        for (std::size_t k = 1; k < len; ++k) {
          auto cc = static_cast<unsigned char>(s[i + k]);
          ok = ok && (cc & 0xC0) == 0x80;
          cp = (cp << 6) | (cc & 0x3Fu);
        }
        if (ok) {
          if (char folded_c = detail::lookalike_ascii(cp); folded_c != 0) {
            f.text += folded_c;
            f.origin.push_back(i);
          } else {
            for (std::size_t k = 0; k < len; ++k) {
              f.text += s[i + k];
              f.origin.push_back(i + k);
            }
          }
          i += len;
          continue;
        }
      }
    }
    f.text += s[i];
    f.origin.push_back(i);
    ++i;
  }
  trim_line();
  f.origin.push_back(s.size());
  return f;
}

std::size_t count_occurrences(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t pos = hay.find(needle); pos != std::string_view::npos;
       pos = hay.find(needle, pos + needle.size()))
    ++n;
  return n;
}

struct replacement {
  std::size_t index;  // in edits[]
  std::size_t begin, end;
  std::string text;
};

std::string edit_label(std::size_t index, std::size_t total, std::string_view single) {
  return total == 1 ? std::string(single) : fmt::format("edits[{}]", index);
}

// Where edit `index` applies in `content` (LF, no BOM): a unique exact match, else a unique
// match with look-alikes folded.
result<replacement> locate(const std::string& content, std::optional<folded>& folded_content,
                           std::string old_text, std::string new_text, std::size_t index,
                           std::size_t total, std::string_view shown) {
  if (old_text.empty())
    return fail(
        errc::invalid_argument,
        fmt::format("{} must not be empty in {}.",
                    total == 1 ? std::string("oldText") : fmt::format("edits[{}].oldText", index),
                    shown));
  auto unique = [&](std::size_t count) -> result<void> {
    if (count <= 1) return {};
    return fail(errc::invalid_argument,
                fmt::format("Found {} occurrences of {} in {}. {} must be unique: include more "
                            "of the surrounding text to pick one.",
                            count, edit_label(index, total, "the text"), shown,
                            total == 1 ? "The text" : "Each oldText"));
  };
  if (std::size_t pos = content.find(old_text); pos != std::string::npos) {
    if (auto u = unique(count_occurrences(content, old_text)); !u) return fail(u.error());
    return replacement{index, pos, pos + old_text.size(), std::move(new_text)};
  }
  if (!folded_content) folded_content = fold(content);  // built only when a match needs it
  folded needle = fold(old_text);
  std::size_t pos =
      needle.text.empty() ? std::string::npos : folded_content->text.find(needle.text);
  if (pos == std::string::npos) {
    std::string_view snippet(content);
    std::string more;
    if (snippet.size() > mismatch_snippet) {
      snippet = snippet.substr(0, mismatch_snippet);
      more = "\n... (truncated)";
    }
    return fail(errc::not_found,
                fmt::format("Could not find {} in {}. oldText must match the file exactly, "
                            "including whitespace and line breaks.\nCurrent file contents:\n{}{}",
                            total == 1 ? "the exact text" : edit_label(index, total, ""), shown,
                            snippet, more));
  }
  if (auto u = unique(count_occurrences(folded_content->text, needle.text)); !u)
    return fail(u.error());
  return replacement{index, folded_content->origin[pos],
                     folded_content->origin[pos + needle.text.size()], std::move(new_text)};
}

struct edit_request {
  std::string old_text, new_text;
};

// edits[], plus the older single oldText/newText pair some models still send.
result<std::vector<edit_request>> edits_of(const json& args) {
  std::vector<edit_request> edits;
  if (const json* list = args.find("edits"); list != nullptr && list->is_array())
    for (const json& e : list->as_array())
      if (e["oldText"].is_string() && e["newText"].is_string())
        edits.push_back({e["oldText"].as_string(), e["newText"].as_string()});
  if (args["oldText"].is_string() && args["newText"].is_string())
    edits.push_back({args["oldText"].as_string(), args["newText"].as_string()});
  if (edits.empty())
    return fail(errc::invalid_argument,
                "edit needs at least one replacement: edits: [{oldText, newText}]");
  return edits;
}

result<tool_result> run_edit(const fs_options& options, const json& args, const tool_context& ctx) {
  std::string shown = args.string_or("path");
  auto edits = edits_of(args);
  if (!edits) return fail(edits.error());
  fs::path workspace = detail::tool_workspace(options, ctx);
  auto file = detail::resolve_tool_path(shown, workspace, options.workspace_only);
  if (!file) return fail(file.error());
  auto raw = detail::read_tool_file(*file, shown);
  if (!raw) return fail(raw.error());

  std::string_view body(*raw);
  bool had_bom = body.substr(0, detail::utf8_bom.size()) == detail::utf8_bom;
  if (had_bom) body.remove_prefix(detail::utf8_bom.size());
  bool crlf = detail::uses_crlf(body);
  std::string content = detail::to_lf(body);
  std::optional<folded> folded_content;

  std::vector<replacement> found;
  for (std::size_t i = 0; i < edits->size(); ++i) {
    auto& e = (*edits)[i];
    auto r = locate(content, folded_content, detail::to_lf(e.old_text), detail::to_lf(e.new_text),
                    i, edits->size(), shown);
    if (!r) return fail(r.error());
    found.push_back(std::move(*r));
  }
  std::sort(found.begin(), found.end(),
            [](const replacement& x, const replacement& y) { return x.begin < y.begin; });
  for (std::size_t i = 1; i < found.size(); ++i)
    if (found[i - 1].end > found[i].begin)
      return fail(errc::invalid_argument,
                  fmt::format("edits[{}] and edits[{}] overlap in {}. Merge them into one edit "
                              "or pick regions that do not overlap.",
                              found[i - 1].index, found[i].index, shown));

  std::string updated;
  updated.reserve(content.size());
  std::size_t at = 0;
  for (const auto& r : found) {
    updated.append(content, at, r.begin - at);
    updated += r.text;
    at = r.end;
  }
  updated.append(content, at);
  if (updated == content)
    return fail(errc::invalid_argument,
                fmt::format("No changes made to {}: the replacement{} produced identical content.",
                            shown, edits->size() == 1 ? "" : "s"));

  std::string out = had_bom ? std::string(detail::utf8_bom) : std::string();
  out += crlf ? detail::to_crlf(updated) : updated;
  if (auto w = detail::write_tool_file(*file, out); !w) return fail(w.error());

  auto diff = detail::diff_lines(content, updated);
  json details = json::object({{"diff", diff.text}});
  if (diff.first_changed_line) details.set("firstChangedLine", *diff.first_changed_line);
  return text_result(fmt::format("Successfully replaced {} block(s) in {}.", edits->size(), shown),
                     std::move(details));
}

}  // namespace

std::shared_ptr<tool> make_edit_tool(fs_options options) {
  json replace = json::object(
      {{"type", "object"},
       {"properties",
        json::object(
            {{"oldText", json::object({{"type", "string"},
                                       {"description",
                                        "Text to replace: exactly as in the file, and "
                                        "found only once"}})},
             {"newText", json::object({{"type", "string"}, {"description", "Its replacement"}})}})},
       {"required", json::array({"oldText", "newText"})},
       {"additionalProperties", false}});
  tool_definition def;
  def.name = "edit";
  def.description =
      "Change part of a file by exact text replacement. Each edits[].oldText must occur once in "
      "the file as it is now (edits do not see each other's results) and must not overlap "
      "another; merge nearby changes into one edit. Keep oldText short but unique.";
  def.parameters = json::object(
      {{"type", "object"},
       {"properties",
        json::object(
            {{"path", json::object({{"type", "string"},
                                    {"description",
                                     "File to edit, relative to the workspace "
                                     "or absolute"}})},
             {"edits", json::object({{"type", "array"},
                                     {"items", std::move(replace)},
                                     {"description", "One or more replacements in this file"}})},
             {"oldText", json::object({{"type", "string"},
                                       {"description", "Single-edit form: text to replace"}})},
             {"newText", json::object({{"type", "string"},
                                       {"description", "Single-edit form: its replacement"}})}})},
       {"required", json::array({"path"})},
       {"additionalProperties", false}});
  return make_tool(
      std::move(def),
      [options = std::move(options)](const json& args, const tool_context& ctx) {
        return run_edit(options, args, ctx);
      },
      true);
}

}  // namespace durar
