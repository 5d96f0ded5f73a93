// The apply_patch tool: a multi-file patch applied all or nothing. Every operation is worked
// out in memory first; only when all of them apply are the files written, each atomically,
// and a failure while writing puts back the files already changed.
#include <durar/tools.hpp>

#include <fmt/format.h>

#include "tools/fs_paths.hpp"
#include "tools/fs_text.hpp"
#include "tools/patch_parse.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace durar {

namespace {

namespace fs = std::filesystem;

// What a file will hold after the patch: its content, or nothing when deleted.
struct staged_file {
  fs::path path;
  std::string shown;
  std::optional<std::string> content;
  bool touched = false;  // content is what the patch leaves; else the disk has it
};

class staging {
 public:
  staging(fs::path workspace, bool workspace_only)
      : workspace_(std::move(workspace)), workspace_only_(workspace_only) {}

  result<staged_file*> target(const std::string& input,
                              detail::final_link link = detail::final_link::follow) {
    auto file = detail::resolve_tool_path(input, workspace_, workspace_only_, link);
    if (!file) return fail(file.error());
    for (auto& f : files_)
      if (f.path == *file) return &f;
    files_.push_back({*file, detail::display_path(*file, workspace_), std::nullopt, false});
    return &files_.back();
  }

  // The file as the patch so far leaves it; nullopt when it does not exist.
  static result<std::optional<std::string>> current(const staged_file& f) {
    if (f.touched) return f.content;
    auto text = detail::read_tool_file(f.path, f.shown);
    if (!text) {
      if (text.error().code != errc::not_found) return fail(text.error());
      return std::optional<std::string>();
    }
    return std::optional<std::string>(std::move(*text));
  }

  static void set(staged_file& f, std::optional<std::string> content) {
    f.content = std::move(content);
    f.touched = true;
  }

  [[nodiscard]] std::vector<const staged_file*> changed() const {
    std::vector<const staged_file*> out;
    for (const auto& f : files_)
      if (f.touched) out.push_back(&f);
    return out;
  }

 private:
  fs::path workspace_;
  bool workspace_only_;
  std::deque<staged_file> files_;  // a deque: pointers to its files stay valid as it grows
};

// Updates keep the file's line endings and BOM; the patch itself is read as LF text.
result<std::string> apply_update(const std::string& before, const detail::patch_op& op,
                                 const std::string& shown) {
  std::string_view body(before);
  bool had_bom = body.substr(0, detail::utf8_bom.size()) == detail::utf8_bom;
  if (had_bom) body.remove_prefix(detail::utf8_bom.size());
  bool crlf = detail::uses_crlf(body);
  auto after = detail::apply_chunks(detail::to_lf(body), op.chunks, shown);
  if (!after) return after;
  std::string out = had_bom ? std::string(detail::utf8_bom) : std::string();
  out += crlf ? detail::to_crlf(*after) : *after;
  return out;
}

struct summary {
  std::vector<std::string> added, modified, deleted;
  static void note(std::vector<std::string>& list, const std::string& path) {
    if (std::find(list.begin(), list.end(), path) == list.end()) list.push_back(path);
  }
};

result<void> stage(staging& files, const std::vector<detail::patch_op>& ops, summary& done) {
  using kind = detail::patch_op::kind;
  for (const auto& op : ops) {
    if (op.what == kind::add) {
      auto f = files.target(op.path);
      if (!f) return fail(f.error());
      staging::set(**f, op.contents);
      summary::note(done.added, (*f)->shown);
      continue;
    }
    if (op.what == kind::remove) {
      auto f = files.target(op.path, detail::final_link::keep);
      if (!f) return fail(f.error());
      std::error_code ec;
      if (!(*f)->touched && fs::is_symlink((*f)->path, ec)) {  // the link goes, not its target
        staging::set(**f, std::nullopt);
        summary::note(done.deleted, (*f)->shown);
        continue;
      }
      auto now = staging::current(**f);
      if (!now) return fail(now.error());
      if (!*now)
        return fail(errc::not_found,
                    fmt::format("Failed to delete {}: file not found", (*f)->shown));
      staging::set(**f, std::nullopt);
      summary::note(done.deleted, (*f)->shown);
      continue;
    }
    auto f = files.target(op.path);
    if (!f) return fail(f.error());
    auto now = staging::current(**f);
    if (!now) return fail(now.error());
    if (!*now)
      return fail(errc::not_found,
                  fmt::format("Failed to read file to update {}: file not found", (*f)->shown));
    auto after = apply_update(**now, op, (*f)->shown);
    if (!after) return fail(after.error());
    if (op.move_to.empty()) {
      staging::set(**f, std::move(*after));
      summary::note(done.modified, (*f)->shown);
      continue;
    }
    auto dest = files.target(op.move_to);
    if (!dest) return fail(dest.error());
    if (*dest != *f) staging::set(**f, std::nullopt);
    staging::set(**dest, std::move(*after));
    summary::note(done.modified, (*dest)->shown);
  }
  return {};
}

// A file as it was before the patch, to put back if a later write fails.
struct backup {
  const staged_file* file;
  std::optional<std::string> content;
  mode_t mode = 0;
  fs::path link_target;  // when the file was a symlink (only deletes see one)
};

result<void> restore(const backup& b) {
  if (!b.link_target.empty()) {
    std::error_code ec;
    fs::remove(b.file->path, ec);
    fs::create_symlink(b.link_target, b.file->path, ec);
    if (ec) return fail(errc::unavailable, ec.message());
    return {};
  }
  if (!b.content) {
    std::error_code ec;
    fs::remove(b.file->path, ec);
    if (ec) return fail(errc::unavailable, ec.message());
    return {};
  }
  if (auto w = detail::write_tool_file(b.file->path, *b.content); !w) return w;
  ::chmod(b.file->path.c_str(), b.mode);
  return {};
}

// Takes a copy of what `f` holds now, then writes or deletes it.
result<void> commit_one(const staged_file& f, backup& b) {
  std::error_code ec;
  if (fs::is_symlink(f.path, ec)) {
    b.link_target = fs::read_symlink(f.path, ec);
  } else if (fs::exists(fs::status(f.path, ec))) {
    auto old = detail::read_tool_file(f.path, f.shown);
    if (!old) return fail(old.error());
    b.content = std::move(*old);
    struct stat st {};
    if (::stat(f.path.c_str(), &st) == 0) b.mode = st.st_mode & 07777;
  }
  if (f.content) return detail::write_tool_file(f.path, *f.content);
  fs::remove(f.path, ec);
  if (ec)
    return fail(errc::permission_denied,
                fmt::format("Failed to delete {}: {}", f.shown, ec.message()));
  return {};
}

result<void> commit(const std::vector<const staged_file*>& changed) {
  std::vector<backup> done;
  for (const staged_file* f : changed) {
    backup b{f, std::nullopt, 0, {}};
    if (auto step = commit_one(*f, b); !step) {
      std::string undo;
      for (auto it = done.rbegin(); it != done.rend(); ++it)
        if (auto r = restore(*it); !r)
          undo += fmt::format("\n{} could not be restored: {}", it->file->shown, r.error().message);
      error e = std::move(step).error();
      e.message += undo.empty() ? "\nFiles changed before the failure were restored." : undo;
      return fail(std::move(e));
    }
    done.push_back(std::move(b));
  }
  return {};
}

result<tool_result> run_apply_patch(const fs_options& options, const json& args,
                                    const tool_context& ctx) {
  std::string input = args.string_or("input");
  if (input.find_first_not_of(" \t\r\n") == std::string::npos)
    return fail(errc::invalid_argument, "Provide a patch input.");
  auto ops = detail::parse_patch(input);
  if (!ops) return fail(ops.error());
  if (ops->empty()) return fail(errc::invalid_argument, "No files were modified.");

  staging files(detail::tool_workspace(options, ctx), options.workspace_only);
  summary done;
  if (auto staged = stage(files, *ops, done); !staged) {
    error e = std::move(staged).error();
    e.message += "\nNo files were changed.";
    return fail(std::move(e));
  }
  if (auto written = commit(files.changed()); !written) return fail(written.error());

  std::string text = "Success. Updated the following files:";
  for (const auto& p : done.added) text += "\nA " + p;
  for (const auto& p : done.modified) text += "\nM " + p;
  for (const auto& p : done.deleted) text += "\nD " + p;
  auto list = [](const std::vector<std::string>& v) {
    json a = json::array();
    for (const auto& s : v) a.push_back(s);
    return a;
  };
  return text_result(std::move(text),
                     json::object({{"summary", json::object({{"added", list(done.added)},
                                                             {"modified", list(done.modified)},
                                                             {"deleted", list(done.deleted)}})}}));
}

}  // namespace

std::shared_ptr<tool> make_apply_patch_tool(fs_options options) {
  tool_definition def;
  def.name = "apply_patch";
  def.description =
      "Apply a patch to one or more files. The input starts with '*** Begin Patch' and ends "
      "with '*** End Patch'; in between, '*** Add File: <path>' followed by '+' lines, '*** "
      "Delete File: <path>', or '*** Update File: <path>' (optionally '*** Move to: <path>') "
      "followed by '@@' hunks of ' ' context, '-' removed and '+' added lines. Either every "
      "change applies or none does.";
  def.parameters = json::object(
      {{"type", "object"},
       {"properties",
        json::object({{"input", json::object({{"type", "string"},
                                              {"description",
                                               "The whole patch, from *** Begin Patch to *** "
                                               "End Patch"}})}})},
       {"required", json::array({"input"})}});
  return make_tool(
      std::move(def),
      [options = std::move(options)](const json& args, const tool_context& ctx) {
        return run_apply_patch(options, args, ctx);
      },
      true);
}

}  // namespace durar
