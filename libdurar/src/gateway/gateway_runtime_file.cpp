#include "gateway_runtime_file.hpp"

#include <durar/gateway.hpp>
#include <durar/json.hpp>

#include "core/file_io.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <unistd.h>

namespace durar {
namespace {

std::filesystem::path file_in(const std::filesystem::path& state_dir) {
  return state_dir / "gateway.json";
}

std::optional<gateway_runtime_info> read_info(const std::filesystem::path& state_dir) {
  bool exists = false;
  auto text = detail::read_file(file_in(state_dir), exists);
  if (!text || !exists) return std::nullopt;
  auto doc = json::parse(*text);
  if (!doc || !doc->is_object()) return std::nullopt;
  gateway_runtime_info info;
  const std::int64_t pid = doc->int_or("pid", 0), port = doc->int_or("port", 0);
  if (pid <= 0 || pid > INT32_MAX || port <= 0 || port > 65535) return std::nullopt;
  info.pid = static_cast<int>(pid);
  info.port = static_cast<std::uint16_t>(port);
  info.url = doc->string_or("url");
  return info;
}

}  // namespace

std::optional<gateway_runtime_info> running_gateway_on(const std::filesystem::path& state_dir) {
  auto info = read_info(state_dir);
  // Left behind by a gateway that was killed: its process is gone.
  if (!info || (::kill(info->pid, 0) != 0 && errno != EPERM)) return std::nullopt;
  return info;
}

namespace gateway_detail {

void write_runtime_file(const std::filesystem::path& state_dir, std::uint16_t port,
                        const std::string& ws_url) {
  json doc = json::object({{"pid", static_cast<std::int64_t>(::getpid())},
                           {"port", static_cast<std::int64_t>(port)},
                           {"url", ws_url}});
  (void)detail::write_file_atomic(file_in(state_dir), doc.dump(2) + "\n", false);
}

void remove_runtime_file(const std::filesystem::path& state_dir) {
  auto info = read_info(state_dir);
  if (info && info->pid == ::getpid()) {
    std::error_code ec;
    std::filesystem::remove(file_in(state_dir), ec);
  }
}

}  // namespace gateway_detail
}  // namespace durar
