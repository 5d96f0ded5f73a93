// The read tool: a file's lines (a window of them, capped, with a note on how to go on) or,
// for png/jpeg/gif/webp, the image itself. Binary files are described, never dumped.
#include <durar/tools.hpp>

#include <fmt/format.h>

#include "core/base64.hpp"
#include "tools/fs_paths.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace durar {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_lines = 2000;  // per call, as the original's pages
constexpr std::size_t sniff_bytes = 8192;
// Vendors take inline images up to about 5MB of base64; this is that much before encoding.
constexpr std::size_t max_image_bytes = 5 * 1024 * 1024 / 4 * 3;

std::string_view image_mime(std::string_view head) {
  auto starts = [&](std::string_view magic) { return head.substr(0, magic.size()) == magic; };
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (head.size() >= 12 && starts("RIFF") && head.substr(8, 4) == "WEBP") return "image/webp";
  return {};
}

// Bytes that are not part of a well-formed UTF-8 sequence; a sequence cut by the end of the
// sample is not counted.
std::size_t invalid_utf8_bytes(std::string_view s) {
  std::size_t bad = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    if (len == 0 || (len == 2 && c < 0xC2)) {
      ++bad;
      ++i;
      continue;
    }
    if (i + len > s.size()) break;
    bool ok = true;
    for (std::size_t k = 1; k < len; ++k)
      ok = ok && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      ++bad;
      ++i;
      continue;
    }
    i += len;
  }
  return bad;
}

bool looks_binary(std::string_view head) {
  if (head.find('\0') != std::string_view::npos) return true;
  return invalid_utf8_bytes(head) * 10 > head.size();  // text in a legacy encoding is rare
}


std::optional<std::size_t> positive_arg(const json& args, std::string_view key) {
  const json* v = args.find(key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  double d = std::floor(v->as_double());
  if (!std::isfinite(d)) return std::nullopt;
  return static_cast<std::size_t>(std::max(1.0, std::min(d, 1e15)));
}

result<tool_result> read_image(std::ifstream& in, std::string_view mime, std::uintmax_t size,
                               std::string_view shown) {
  std::string header = fmt::format("Read image file [{}]", mime);
  json details = json::object({{"path", std::string(shown)},
                               {"mimeType", std::string(mime)},
                               {"bytes", static_cast<std::uint64_t>(size)}});
  if (size > max_image_bytes)
    return text_result(
        fmt::format("{}\n[Image omitted: {} is over the {} inline image limit.]", header,
                    detail::format_size(size), detail::format_size(max_image_bytes)),
        std::move(details));
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.clear();  // the sniff may have hit the end of a small file
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  tool_result r = text_result(std::move(header), std::move(details));
  r.content.emplace_back(image_block{std::string(mime), detail::base64_encode(bytes)});
  return r;
}

// The window of lines [start, start + limit) within the caps, and the file's line count.
struct line_window {
  std::string text;
  std::size_t lines = 0;  // lines in `text`
  std::size_t total = 0;  // lines in the file
  std::size_t first_line_bytes = 0;
  bool cut_by_lines = false;
  bool cut_by_bytes = false;
};

line_window scan_lines(std::ifstream& in, std::size_t start, std::optional<std::size_t> limit,
                       std::size_t max_bytes) {
  line_window w;
  std::size_t wanted = limit.value_or(static_cast<std::size_t>(-1));
  std::size_t line_no = 1;
  std::string line;  // the current line, kept only up to max_bytes + 1
  std::size_t line_len = 0;
  bool done = false;  // the window is complete; only counting from here on
  bool pending = false;

  auto finish_line = [&] {
    if (!done && line_no >= start) {
      if (line_no - start >= wanted) {
        done = true;
      } else if (w.lines >= max_lines) {
        w.cut_by_lines = true;
        done = true;
      } else {
        std::size_t add = line_len + (w.lines > 0 ? 1 : 0);
        if (w.text.size() + add > max_bytes) {
          if (w.lines == 0) w.first_line_bytes = line_len;
          w.cut_by_bytes = true;
          done = true;
        } else {
          if (w.lines > 0) w.text += '\n';
          w.text += line;
          ++w.lines;
        }
      }
    }
    ++line_no;
    line.clear();
    line_len = 0;
    pending = false;
  };

  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    std::string_view chunk(buf, static_cast<std::size_t>(in.gcount()));
    while (!chunk.empty()) {
      std::size_t nl = chunk.find('\n');
      std::string_view part = chunk.substr(0, nl);
      line_len += part.size();
      if (!done && line_no >= start && line.size() <= max_bytes)
        line.append(part.substr(0, max_bytes + 1 - line.size()));
      pending = true;
      if (nl == std::string_view::npos) break;
      finish_line();
      chunk.remove_prefix(nl + 1);
    }
  }
  if (pending) finish_line();
  w.total = line_no - 1;
  return w;
}

result<tool_result> run_read(const fs_options& options, const json& args, const tool_context& ctx) {
  std::string shown = args.string_or("path");
  fs::path workspace = detail::tool_workspace(options, ctx);
  auto file = detail::resolve_tool_path(shown, workspace, options.workspace_only);
  if (!file) return fail(file.error());

  std::error_code ec;
  auto st = fs::status(*file, ec);
  if (!fs::exists(st)) return fail(errc::not_found, fmt::format("File not found: {}", shown));
  if (fs::is_directory(st))
    return fail(errc::invalid_argument,
                fmt::format("{} is a directory, not a file; list it with exec (ls)", shown));
  // Devices and pipes could block the loop or never end.
  if (!fs::is_regular_file(st))
    return fail(errc::invalid_argument, fmt::format("{} is not a regular file", shown));
  std::ifstream in(*file, std::ios::binary);
  if (!in)
    return fail(errc::permission_denied,
                fmt::format("Cannot read {}: {}", shown, std::strerror(errno)));
  std::uintmax_t size = fs::file_size(*file, ec);
  if (ec) size = 0;

  std::string head(sniff_bytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (std::string_view mime = image_mime(head); !mime.empty())
    return read_image(in, mime, size, shown);
  if (looks_binary(head))
    return text_result(
        fmt::format("{} looks like a binary file ({}); read shows text files and png, jpeg, "
                    "gif or webp images only. Inspect it with exec (file, xxd, strings).",
                    shown, detail::format_size(size)),
        json::object(
            {{"path", shown}, {"binary", true}, {"bytes", static_cast<std::uint64_t>(size)}}));

  std::size_t start = positive_arg(args, "offset").value_or(1);
  std::optional<std::size_t> limit = positive_arg(args, "limit");
  in.clear();
  in.seekg(0);
  line_window w = scan_lines(in, start, limit, options.max_read_bytes);
  if (start > std::max<std::size_t>(w.total, 1))
    return fail(errc::invalid_argument,
                fmt::format("Offset {} is beyond end of file ({} lines total)", start, w.total));

  std::size_t end = start + w.lines - 1;
  json details = json::object({{"path", shown},
                               {"startLine", start},
                               {"endLine", w.lines > 0 ? end : start - 1},
                               {"totalLines", w.total}});
  std::string text;
  if (w.cut_by_bytes && w.lines == 0) {
    details.set("truncated", true);
    text = fmt::format(
        "[Line {} is {}, over the {} read limit. Read part of it with exec: "
        "sed -n '{}p' {} | head -c {}]",
        start, detail::format_size(w.first_line_bytes), detail::format_size(options.max_read_bytes),
        start, shown, options.max_read_bytes);
  } else if (w.cut_by_lines || w.cut_by_bytes) {
    details.set("truncated", true);
    text = std::move(w.text);
    text += fmt::format(
        "\n\n[Showing lines {}-{} of {}{}. Use offset={} to continue.]", start, end, w.total,
        w.cut_by_bytes ? fmt::format(" ({} limit)", detail::format_size(options.max_read_bytes))
                       : std::string(),
        end + 1);
  } else if (limit && end < w.total) {
    text = std::move(w.text);
    text += fmt::format("\n\n[{} more lines in file. Use offset={} to continue.]", w.total - end,
                        end + 1);
  } else {
    text = std::move(w.text);
  }
  return text_result(std::move(text), std::move(details));
}

}  // namespace

std::shared_ptr<tool> make_read_tool(fs_options options) {
  tool_definition def;
  def.name = "read";
  def.description = fmt::format(
      "Read a file. Text comes back as lines, at most {} lines or {} per call (whichever comes "
      "first); use offset and limit to page through larger files, continuing at the offset the "
      "result names. png, jpeg, gif and webp images come back as images.",
      max_lines, detail::format_size(options.max_read_bytes));
  def.parameters = json::object(
      {{"type", "object"},
       {"properties",
        json::object(
            {{"path", json::object({{"type", "string"},
                                    {"description",
                                     "File to read, relative to the workspace "
                                     "or absolute"}})},
             {"offset", json::object({{"type", "number"},
                                      {"description", "First line to return, counting from 1"}})},
             {"limit",
              json::object({{"type", "number"}, {"description", "Most lines to return"}})}})},
       {"required", json::array({"path"})}});
  return make_tool(std::move(def),
                   [options = std::move(options)](const json& args, const tool_context& ctx) {
                     return run_read(options, args, ctx);
                   });
}

}  // namespace durar
