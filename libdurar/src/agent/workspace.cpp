// Reading a workspace: the bootstrap files the system prompt carries (capped, with a note
// where a file was cut) and the skills found under skills/*/SKILL.md.
#include <durar/workspace.hpp>

#include <fmt/format.h>

#include "agent/workspace_cache.hpp"
#include "core/file_io.hpp"

#include <algorithm>
#include <array>

namespace durar {

namespace {

// Below this, a further file would be mostly the truncation note.
constexpr std::size_t min_file_budget = 64;

// Caps count bytes; a cut never splits a UTF-8 character.
std::size_t char_start_at_or_before(std::string_view s, std::size_t i) {
  if (i >= s.size()) return s.size();
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

std::size_t char_start_at_or_after(std::string_view s, std::size_t i) {
  while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  return i;
}

// Keeps the start (most instructions live there) and the end (the latest notes), with a
// note between saying what was left out and where to read it whole.
std::string cut_to(std::string_view text, std::string_view name, std::size_t cap) {
  auto note = [&](std::size_t head, std::size_t tail) {
    return fmt::format(
        "\n\n[... {} cut to fit the prompt: kept the first {} and last {} of {} "
        "bytes; read the file for the rest ...]\n\n",
        name, head, tail, text.size());
  };
  std::string probe = note(text.size(), text.size());
  if (cap < probe.size() + 32) {
    // No room for a helpful note: the start of the file and a bare marker.
    constexpr std::string_view bare = "\n[...]";
    if (cap <= bare.size()) return std::string(text.substr(0, char_start_at_or_before(text, cap)));
    std::size_t head = char_start_at_or_before(text, cap - bare.size());
    return std::string(text.substr(0, head)) + std::string(bare);
  }
  const std::size_t budget = cap - probe.size();
  std::size_t head = char_start_at_or_before(text, budget * 7 / 9);
  std::size_t tail_from = char_start_at_or_after(text, text.size() - (budget - head));
  std::size_t tail = text.size() - tail_from;
  return std::string(text.substr(0, head)) + note(head, tail) + std::string(text.substr(tail_from));
}

std::string trim_end(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

// A YAML scalar as written in front matter: plain, 'single' or "double" quoted.
std::string scalar(std::string_view v) {
  std::string s = trim(v);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    const char q = s.front();
    std::string inner = s.substr(1, s.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < inner.size(); ++i) {
      if (q == '\'' && inner[i] == '\'' && i + 1 < inner.size() && inner[i + 1] == '\'') {
        out += '\'';
        ++i;
      } else if (q == '"' && inner[i] == '\\' && i + 1 < inner.size()) {
        const char e = inner[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        out += inner[i];
      }
    }
    return out;
  }
  return s;
}

// name: and description: from a `---` block at the top of the file; other keys, nesting and
// block scalars are ignored.
void read_front_matter(std::string_view text, skill_info& out) {
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.remove_prefix(3);
  auto line_end = text.find('\n');
  if (line_end == std::string_view::npos || trim(text.substr(0, line_end)) != "---") return;
  std::size_t pos = line_end + 1;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (trim(line) == "---" || trim(line) == "...") break;
    if (line.empty() || line.front() == ' ' || line.front() == '\t' || line.front() == '#')
      continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key = trim(line.substr(0, colon));
    std::string value = scalar(line.substr(colon + 1));
    if (value == "|" || value == ">" || value == "|-" || value == ">-") continue;
    if (key == "name" && !value.empty()) out.name = value;
    if (key == "description") out.description = value;
  }
}

}  // namespace

std::vector<workspace_file> load_workspace_files(const system_prompt_inputs& in) {
  std::vector<workspace_file> out;
  const std::size_t per_file =
      static_cast<std::size_t>(std::max<std::int64_t>(1, in.max_chars_per_file));
  std::size_t remaining = static_cast<std::size_t>(std::max<std::int64_t>(1, in.max_chars_total));
  for (auto& file : detail::bootstrap_texts(in.workspace)) {
    if (remaining < min_file_budget) break;
    workspace_file f;
    f.name = std::move(file.name);
    f.path = std::move(file.path);
    f.content = trim_end(std::move(file.text));
    f.original_size = f.content.size();
    const std::size_t cap = std::min(per_file, remaining);
    if (f.content.size() > cap) {
      f.content = cut_to(f.content, f.name, cap);
      f.truncated = true;
    }
    remaining -= std::min(remaining, f.content.size());
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<skill_info> find_skills(const std::filesystem::path& workspace) {
  std::vector<skill_info> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(workspace / "skills", ec);
  if (ec) return out;
  for (const auto& entry : it) {
    std::error_code e2;
    if (!entry.is_directory(e2)) continue;
    std::filesystem::path file = entry.path() / "SKILL.md";
    bool exists = false;
    auto text = detail::read_file(file, exists);
    if (!text || !exists) continue;
    skill_info s;
    s.name = entry.path().filename().string();
    s.path = file;
    read_front_matter(*text, s);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const skill_info& a, const skill_info& b) { return a.name < b.name; });
  return out;
}

}  // namespace durar
