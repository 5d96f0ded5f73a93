// sessions.json: the key -> entry index, read leniently, replaced atomically, and written
// back with every field Durar does not model exactly as it found it.
#include <fmt/format.h>

#include "core/file_io.hpp"
#include "session/session_internal.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace durar::detail {

namespace {

// Integers, or the reals a JavaScript writer may leave (1.7e12).
std::int64_t number_of(const json& j, std::string_view key) {
  const json* v = j.find(key);
  if (v == nullptr || !v->is_number()) return 0;
  if (v->is_integer())
    return v->type() == json_type::integer ? v->as_int() : static_cast<std::int64_t>(v->as_uint());
  double d = v->as_double();
  // Finite is not enough: a real beyond int64 (1e300) would make the cast undefined.
  return d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? static_cast<std::int64_t>(d)
                                                                  : 0;
}

// A field Durar models is written when it has a value or the entry already had it, so an
// untouched entry is written back as it was read.
void put_int(json& j, std::string_view key, std::int64_t v) {
  if (v != 0 || j.contains(key)) j.set(key, v);
}

void put_string(json& j, std::string_view key, const std::string& v) {
  if (v.empty()) {
    j.erase(key);
  } else {
    j.set(key, v);
  }
}

}  // namespace

session_info info_from_json(std::string key, const json& j) {
  session_info info;
  info.key = std::move(key);
  info.raw = j;
  if (!j.is_object()) return info;
  info.session_id = j.string_or("sessionId");
  info.updated_at = number_of(j, "updatedAt");
  info.started_at = number_of(j, "sessionStartedAt");
  info.last_interaction_at = number_of(j, "lastInteractionAt");
  info.model_override = j.string_or("modelOverride");
  info.provider_override = j.string_or("providerOverride");
  info.thinking_level = j.string_or("thinkingLevel");
  info.model = j.string_or("model");
  info.model_provider = j.string_or("modelProvider");
  info.input_tokens = number_of(j, "inputTokens");
  info.output_tokens = number_of(j, "outputTokens");
  info.total_tokens = number_of(j, "totalTokens");
  info.context_tokens = number_of(j, "contextTokens");
  info.compaction_count = static_cast<int>(number_of(j, "compactionCount"));
  info.cost = j.number_or("estimatedCostUsd", 0);
  return info;
}

json info_to_json(const session_info& info) {
  if (!info.raw.is_object() && !info.raw.is_null() && info.session_id.empty()) return info.raw;
  json j = info.raw.is_object() ? info.raw : json::object();
  j.set("sessionId", info.session_id);
  j.set("updatedAt", info.updated_at);
  put_int(j, "sessionStartedAt", info.started_at);
  put_int(j, "lastInteractionAt", info.last_interaction_at);
  put_string(j, "modelOverride", info.model_override);
  put_string(j, "providerOverride", info.provider_override);
  put_string(j, "thinkingLevel", info.thinking_level);
  put_string(j, "model", info.model);
  put_string(j, "modelProvider", info.model_provider);
  put_int(j, "inputTokens", info.input_tokens);
  put_int(j, "outputTokens", info.output_tokens);
  put_int(j, "totalTokens", info.total_tokens);
  put_int(j, "contextTokens", info.context_tokens);
  put_int(j, "compactionCount", info.compaction_count);
  if (info.cost != 0 || j.contains("estimatedCostUsd")) j.set("estimatedCostUsd", info.cost);
  return j;
}

result<std::vector<session_info>> read_index(const std::filesystem::path& file) {
  bool exists = false;
  auto text = read_file(file, exists);
  if (!text) return fail(text.error());
  std::vector<session_info> out;
  if (!exists || text->find_first_not_of(" \t\r\n") == std::string::npos) return out;
  auto doc = json::parse(*text);
  if (!doc) return fail(errc::invalid_argument, file.string() + ": " + doc.error().message);
  if (!doc->is_object()) {
    return fail(errc::invalid_argument,
                fmt::format("{}: expected an object of session keys, found {}", file.string(),
                            to_string(doc->type())));
  }
  out.reserve(doc->size());
  for (const auto& [key, value] : doc->as_object()) out.push_back(info_from_json(key, value));
  return out;
}

result<void> write_index(const std::filesystem::path& file, const std::vector<session_info>& all,
                         bool sync) {
  json doc = json::object();
  auto& members = doc.as_object();
  members.reserve(all.size());
  for (const auto& info : all) members.emplace_back(info.key, info_to_json(info));
  return write_file_atomic(file, doc.dump(2) + "\n", sync);
}

result<index_lock> index_lock::acquire(const std::filesystem::path& index_file) {
  std::filesystem::path p = index_file;
  p += ".lock";
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT) {  // no folder yet: the first session of this agent
    // Private: transcripts hold whole conversations.
    if (auto made = create_private_dirs(index_file.parent_path()); !made) return fail(made.error());
    fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  }
  if (fd < 0)
    return fail(open_errc(errno),
                fmt::format("cannot open {}: {}", p.string(), std::strerror(errno)));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    return fail(errc::unavailable,
                fmt::format("cannot lock {}: {}", p.string(), std::strerror(err)));
  }
  return index_lock(fd);
}

index_lock::~index_lock() {
  if (fd_ >= 0) ::close(fd_);  // never unlinked: a removed lock file could be locked twice
}

}  // namespace durar::detail
