// sessions.json: the key -> entry index, read leniently, replaced atomically, and written
// back with every field Durar does not model exactly as it found it.
#include <fmt/format.h>

#include "core/file_io.hpp"
#include "session/session_internal.hpp"

#include <cerrno>
#include <charconv>
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

namespace {

// The fields info_to_json sets, in the order it sets them: one a raw entry lacks is appended
// in this order after the raw members.
enum class field_kind { always, integer, string, cost };
using integer_of = std::int64_t (*)(const session_info&);
using string_of = const std::string& (*)(const session_info&);
struct typed_field {
  std::string_view key;
  field_kind kind;
  integer_of integer = nullptr;  // always (but sessionId) and integer fields
  string_of text = nullptr;      // sessionId and string fields
};
#define DURAR_INT(member) [](const session_info& i) -> std::int64_t { return i.member; }
#define DURAR_STR(member) [](const session_info& i) -> const std::string& { return i.member; }
constexpr typed_field typed_fields[] = {
    {"sessionId", field_kind::always, nullptr, DURAR_STR(session_id)},
    {"updatedAt", field_kind::always, DURAR_INT(updated_at)},
    {"sessionStartedAt", field_kind::integer, DURAR_INT(started_at)},
    {"lastInteractionAt", field_kind::integer, DURAR_INT(last_interaction_at)},
    {"modelOverride", field_kind::string, nullptr, DURAR_STR(model_override)},
    {"providerOverride", field_kind::string, nullptr, DURAR_STR(provider_override)},
    {"thinkingLevel", field_kind::string, nullptr, DURAR_STR(thinking_level)},
    {"model", field_kind::string, nullptr, DURAR_STR(model)},
    {"modelProvider", field_kind::string, nullptr, DURAR_STR(model_provider)},
    {"inputTokens", field_kind::integer, DURAR_INT(input_tokens)},
    {"outputTokens", field_kind::integer, DURAR_INT(output_tokens)},
    {"totalTokens", field_kind::integer, DURAR_INT(total_tokens)},
    {"contextTokens", field_kind::integer, DURAR_INT(context_tokens)},
    {"compactionCount", field_kind::integer, DURAR_INT(compaction_count)},
    {"estimatedCostUsd", field_kind::cost},
};
#undef DURAR_INT
#undef DURAR_STR
constexpr std::size_t typed_count = std::size(typed_fields);

int typed_index(std::string_view key) {
  for (std::size_t i = 0; i < typed_count; ++i)
    if (typed_fields[i].key == key) return static_cast<int>(i);
  return -1;
}

const std::string& string_field(const session_info& info, std::size_t i) {
  return typed_fields[i].text(info);
}

std::int64_t integer_field(const session_info& info, std::size_t i) {
  return typed_fields[i].integer(info);
}

// Whether info_to_json writes the field when the raw entry does not have it.
bool written_when_absent(const session_info& info, std::size_t i) {
  switch (typed_fields[i].kind) {
    case field_kind::always:
      return true;
    case field_kind::integer:
      return integer_field(info, i) != 0;
    case field_kind::string:
      return !string_field(info, i).empty();
    case field_kind::cost:
      return info.cost != 0;
  }
  return false;
}

void newline(std::string& out, int level) {
  out += '\n';
  out.append(static_cast<std::size_t>(level) * 2, ' ');
}

// `v` as json::dump(2) writes it nested `level` levels deep.
void write_nested(std::string& out, const json& v, int level) {
  if (v.is_array() && !v.empty()) {
    bool first = true;
    out += '[';
    for (const auto& item : v.as_array()) {
      if (!first) out += ',';
      first = false;
      newline(out, level + 1);
      write_nested(out, item, level + 1);
    }
    newline(out, level);
    out += ']';
  } else if (v.is_object() && !v.empty()) {
    bool first = true;
    out += '{';
    for (const auto& [key, value] : v.as_object()) {
      if (!first) out += ',';
      first = false;
      newline(out, level + 1);
      json_quote(out, key);
      out += ": ";
      write_nested(out, value, level + 1);
    }
    newline(out, level);
    out += '}';
  } else {
    v.dump_to(out);  // a scalar or an empty container: the same at any indent
  }
}

void write_typed(std::string& out, const session_info& info, std::size_t i) {
  switch (typed_fields[i].kind) {
    case field_kind::always:
      if (typed_fields[i].text != nullptr) {
        json_quote(out, string_field(info, i));
        return;
      }
      [[fallthrough]];
    case field_kind::integer: {
      char buf[24];  // as json writes an integer
      auto r = std::to_chars(buf, buf + sizeof buf, integer_field(info, i));
      out.append(buf, r.ptr);
      return;
    }
    case field_kind::string:
      json_quote(out, string_field(info, i));
      return;
    case field_kind::cost:
      json(info.cost).dump_to(out);
      return;
  }
}

}  // namespace

void render_index_member(std::string& out, const session_info& info) {
  out += "  ";
  json_quote(out, info.key);
  out += ": ";
  const json& raw = info.raw;
  if (!raw.is_object() && !raw.is_null() && info.session_id.empty()) {
    write_nested(out, raw, 1);
    return;
  }
  static_assert(typed_count <= 32);
  std::uint32_t seen = 0;
  bool first = true;
  auto open_member = [&](std::string_view key) {
    out += first ? "{\n    " : ",\n    ";
    first = false;
    json_quote(out, key);
    out += ": ";
  };
  auto open_typed = [&](std::size_t i) {  // its key is plain ASCII: nothing to escape
    out += first ? "{\n    \"" : ",\n    \"";
    first = false;
    out += typed_fields[i].key;
    out += "\": ";
  };
  // The raw members in their order: the first of a typed field's key holds its typed value
  // (or goes, for an empty string field); anything else is written as it was.
  if (raw.is_object()) {
    for (const auto& [key, value] : raw.as_object()) {
      int t = typed_index(key);
      if (t >= 0 && (seen & (1U << t)) == 0) {
        seen |= 1U << t;
        auto i = static_cast<std::size_t>(t);
        if (typed_fields[i].kind == field_kind::string && string_field(info, i).empty()) continue;
        open_typed(i);
        write_typed(out, info, i);
        continue;
      }
      open_member(key);
      write_nested(out, value, 2);
    }
  }
  for (std::size_t i = 0; i < typed_count; ++i) {
    if ((seen & (1U << i)) != 0 || !written_when_absent(info, i)) continue;
    open_typed(i);
    write_typed(out, info, i);
  }
  out += first ? "{}" : "\n  }";
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
