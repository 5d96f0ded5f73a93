// One transcript line <-> one session_entry: ISO timestamps, short hex ids, the typed view
// of each entry type and what it contributes to the model's context.
#include <fmt/format.h>

#include "session/session_internal.hpp"

#include <array>
#include <cctype>
#include <chrono>
#include <ctime>
#include <random>

namespace durar::detail {

namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }());
  return gen;
}

// Wording of the messages that stand in for summaries in the model's context.
constexpr std::string_view compaction_prefix =
    "Earlier turns of this conversation were replaced by this summary:\n\n<summary>\n";
constexpr std::string_view compaction_suffix = "\n</summary>";
constexpr std::string_view branch_prefix =
    "Summary of a branch this conversation returned from:\n\n<summary>\n";
constexpr std::string_view branch_suffix = "</summary>";

std::int64_t entry_ms(const session_entry& e) { return parse_iso_ms(e.timestamp).value_or(0); }

user_message user_of_text(std::string text, std::int64_t ts) {
  user_message m;
  m.content.emplace_back(text_block{std::move(text), {}});
  m.timestamp = ts;
  return m;
}

// Content that may be a string or text/image blocks (custom messages).
std::optional<user_message> user_of_content(const json& content, std::int64_t ts) {
  auto parsed =
      message_from_json(json::object({{"role", "user"}, {"content", content}, {"timestamp", ts}}));
  if (!parsed) return std::nullopt;
  return std::get<user_message>(std::move(*parsed));
}

// Message roles of the original's coding agent that reach the model as user text.
std::optional<message> foreign_message(const json& m, std::int64_t entry_ts) {
  std::string role = m.string_or("role");
  std::int64_t ts = m.int_or("timestamp", entry_ts);
  if (role == "bashExecution") {
    if (m.bool_or("excludeFromContext", false)) return std::nullopt;
    std::string text = "Ran `" + m.string_or("command") + "`\n";
    std::string output = m.string_or("output");
    text += output.empty() ? "(no output)" : "```\n" + output + "\n```";
    if (m.bool_or("cancelled", false)) {
      text += "\n\n(command cancelled)";
    } else if (const json* code = m.find("exitCode");
               code && code->is_integer() && code->as_int()) {
      text += fmt::format("\n\nCommand exited with code {}", code->as_int());
    }
    return message(user_of_text(std::move(text), ts));
  }
  if (role == "custom") {
    if (auto u = user_of_content(m["content"], ts)) return message(std::move(*u));
    return std::nullopt;
  }
  if (role == "compactionSummary")
    return message(compaction_summary_message(m.string_or("summary"), ts));
  if (role == "branchSummary") {
    return message(user_of_text(
        std::string(branch_prefix) + m.string_or("summary") + std::string(branch_suffix), ts));
  }
  return std::nullopt;
}

bool is_foreign_role(std::string_view role) {
  return role == "bashExecution" || role == "custom" || role == "compactionSummary" ||
         role == "branchSummary";
}

int two_digits(std::string_view s, std::size_t at) {
  if (at + 2 > s.size() || !std::isdigit(static_cast<unsigned char>(s[at])) ||
      !std::isdigit(static_cast<unsigned char>(s[at + 1])))
    return -1;
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

}  // namespace

std::int64_t to_ms(sys_time t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string iso_timestamp_ms(std::int64_t ms) {
  // The civil date of a day count (Howard Hinnant's civil_from_days), in 64-bit arithmetic
  // so that any millisecond count gives its true date.
  constexpr std::int64_t ms_per_day = 86'400'000;
  std::int64_t z = ms / ms_per_day;
  std::int64_t in_day = ms % ms_per_day;
  if (in_day < 0) {
    in_day += ms_per_day;
    --z;
  }
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const std::int64_t hour = in_day / 3'600'000;
  const std::int64_t minute = in_day / 60'000 % 60;
  const std::int64_t second = in_day / 1000 % 60;
  const std::int64_t milli = in_day % 1000;
  if (year < 0 || year > 9999)  // beyond four digits: as fmt pads it
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year, month, day, hour, minute,
                       second, milli);
  // Written digit by digit: every transcript line and index record carries one, and
  // formatting it with fmt cost more than the rest of the line.
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](std::size_t at, std::int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10)
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
  };
  put(0, year, 4);
  put(5, month, 2);
  put(8, day, 2);
  put(11, hour, 2);
  put(14, minute, 2);
  put(17, second, 2);
  put(20, milli, 3);
  return out;
}

std::string iso_timestamp(sys_time t) { return iso_timestamp_ms(to_ms(t)); }

std::string archive_timestamp(sys_time t) {
  std::string s = iso_timestamp(t);
  for (char& c : s)
    if (c == ':') c = '-';
  return s;
}

std::optional<std::int64_t> parse_iso_ms(std::string_view s) {
  using namespace std::chrono;
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  int y = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    y = y * 10 + (s[i] - '0');
  }
  int mo = two_digits(s, 5), d = two_digits(s, 8), h = two_digits(s, 11), mi = two_digits(s, 14),
      se = two_digits(s, 17);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
      se > 60)
    return std::nullopt;
  std::size_t i = 19;
  std::int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) frac_ms *= 10;
  }
  std::int64_t offset_min = 0;
  if (i < s.size()) {
    if (s[i] == 'Z' || s[i] == 'z') {
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      int oh = two_digits(s, i + 1);
      std::size_t mpos = i + 3 < s.size() && s[i + 3] == ':' ? i + 4 : i + 3;
      int om = two_digits(s, mpos);
      if (oh < 0 || om < 0) return std::nullopt;
      offset_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
      i = mpos + 2;
    }
  }
  if (i != s.size()) return std::nullopt;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t ms = duration_cast<milliseconds>(sys_days(ymd).time_since_epoch()).count();
  ms += ((h * 60 + mi) * 60 + se) * 1000LL + frac_ms - offset_min * 60000;
  return ms;
}

std::string new_entry_id(const std::unordered_map<std::string, std::size_t>& taken) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string id = fmt::format("{:08x}", static_cast<std::uint32_t>(rng()()));
    if (taken.find(id) == taken.end()) return id;
  }
  return new_session_id();  // the original's fallback after 100 collisions
}

std::string new_session_id() {
  std::uint64_t hi = rng()(), lo = rng()();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

json header_json(std::string_view session_id, std::string_view timestamp, std::string_view cwd) {
  return json::object({{"type", "session"},
                       {"version", transcript_version},
                       {"id", session_id},
                       {"timestamp", timestamp},
                       {"cwd", cwd}});
}

json entry_json(std::string_view type, std::string_view id, std::string_view parent_id,
                std::string_view timestamp, json fields) {
  json j = json::object({{"type", type},
                         {"id", id},
                         {"parentId", parent_id.empty() ? json(nullptr) : json(parent_id)},
                         {"timestamp", timestamp}});
  if (fields.is_object()) {
    for (auto& [k, v] : fields.as_object()) {
      if (k == "type" || k == "id" || k == "parentId" || k == "timestamp") continue;
      j.set(k, std::move(v));
    }
  }
  return j;
}

result<session_entry> entry_from_json(json raw, std::string& note) {
  note.clear();
  if (!raw.is_object()) return fail(errc::invalid_argument, "not a JSON object");
  const json* type = raw.find("type");
  if (type == nullptr || !type->is_string()) return fail(errc::invalid_argument, "no \"type\"");
  const json* id = raw.find("id");
  if (id == nullptr || !id->is_string() || id->as_string().empty())
    return fail(errc::invalid_argument, "no \"id\"");
  session_entry e;
  e.type = type->as_string();
  e.id = id->as_string();
  if (const json* p = raw.find("parentId"); p != nullptr && p->is_string())
    e.parent_id = p->as_string();
  e.timestamp = raw.string_or("timestamp");
  if (e.type == "message") {
    const json& m = raw["message"];
    auto parsed = message_from_json(m);
    if (parsed) {
      e.msg = std::move(*parsed);
    } else if (is_foreign_role(m.string_or("role"))) {
      if (auto f = foreign_message(m, entry_ms(e))) e.msg = std::move(*f);
    } else {
      note = parsed.error().message;
    }
  }
  e.raw = std::move(raw);
  return e;
}

user_message compaction_summary_message(std::string_view summary, std::int64_t timestamp_ms) {
  return user_of_text(
      std::string(compaction_prefix) + std::string(summary) + std::string(compaction_suffix),
      timestamp_ms);
}

compaction_record compaction_of(const session_entry& e) {
  compaction_record c;
  c.summary = e.raw.string_or("summary");
  c.first_kept_entry_id = e.raw.string_or("firstKeptEntryId");
  c.tokens_before = e.raw.int_or("tokensBefore", 0);
  if (const json* d = e.raw.find("details")) c.details = *d;
  return c;
}

std::optional<message> context_message_of(const session_entry& e) {
  if (e.type == "message") return e.msg;
  if (e.type == "custom_message") {
    if (auto u = user_of_content(e.raw["content"], entry_ms(e))) return message(std::move(*u));
    return std::nullopt;
  }
  if (e.type == "branch_summary") {
    std::string summary = e.raw.string_or("summary");
    if (summary.empty()) return std::nullopt;
    return message(user_of_text(std::string(branch_prefix) + summary + std::string(branch_suffix),
                                entry_ms(e)));
  }
  return std::nullopt;
}

}  // namespace durar::detail
