// The write tool: creates or replaces a whole file, atomically, making parent directories.
#include <durar/tools.hpp>

#include <fmt/format.h>

#include "tools/fs_paths.hpp"

namespace durar {

namespace {

result<tool_result> run_write(const fs_options& options, const json& args,
                              const tool_context& ctx) {
  std::string shown = args.string_or("path");
  const std::string& content = args["content"].is_string() ? args["content"].as_string() : "";
  auto workspace = detail::tool_workspace(options, ctx);
  auto file = detail::resolve_tool_path(shown, workspace, options.workspace_only);
  if (!file) return fail(file.error());
  if (auto written = detail::write_tool_file(*file, content); !written)
    return fail(written.error());
  return text_result(
      fmt::format("Successfully wrote {} bytes to {}", content.size(), shown),
      json::object({{"path", detail::display_path(*file, workspace)}, {"bytes", content.size()}}));
}

}  // namespace

std::shared_ptr<tool> make_write_tool(fs_options options) {
  tool_definition def;
  def.name = "write";
  def.description =
      "Write a whole file: creates it (and any missing parent directories) or replaces what it "
      "held. For changes to part of a file, use edit.";
  def.parameters = json::object(
      {{"type", "object"},
       {"properties",
        json::object({{"path", json::object({{"type", "string"},
                                             {"description",
                                              "File to write, relative to the "
                                              "workspace or absolute"}})},
                      {"content", json::object({{"type", "string"},
                                                {"description", "The file's new content"}})}})},
       {"required", json::array({"path", "content"})}});
  return make_tool(
      std::move(def),
      [options = std::move(options)](const json& args, const tool_context& ctx) {
        return run_write(options, args, ctx);
      },
      true);
}

}  // namespace durar
