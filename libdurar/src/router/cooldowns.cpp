#include "router/cooldowns.hpp"

#include "core/file_io.hpp"

#include <algorithm>

namespace durar::detail {

namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

milliseconds ladder(cooldown_reason why, int level) {
  if (why == cooldown_reason::billing) {
    auto hours = std::min<std::int64_t>(24, 5LL << std::min(level - 1, 4));
    return std::chrono::hours(hours);
  }
  static constexpr milliseconds steps[] = {1min, 5min, 25min, 60min};
  return steps[std::clamp(level - 1, 0, 3)];
}

std::string_view name(cooldown_reason why) {
  switch (why) {
    case cooldown_reason::auth:
      return "auth";
    case cooldown_reason::rate_limit:
      return "rate_limit";
    case cooldown_reason::timeout:
      return "timeout";
    case cooldown_reason::billing:
      return "billing";
  }
  return "unknown";
}

bool mentions_billing(const error& e) {
  std::string text = e.provider_message + " " + e.message;
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* w : {"billing", "insufficient_quota", "credit balance", "payment",
                        "insufficient credit", "insufficient balance", "more credits"})
    if (text.find(w) != std::string::npos) return true;
  return false;
}

}  // namespace

cooldown_store::cooldown_store(std::filesystem::path file, clock_fn clock)
    : file_(std::move(file)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
  load();
}

std::optional<cooldown_reason> cooldown_store::reason_for(const error& e) {
  if (e.http_status == 402 || (e.code == errc::resource_exhausted && mentions_billing(e)))
    return cooldown_reason::billing;
  switch (e.code) {
    case errc::unauthenticated:
    case errc::permission_denied:
      return cooldown_reason::auth;
    case errc::resource_exhausted:
      return cooldown_reason::rate_limit;
    case errc::deadline_exceeded:
      return cooldown_reason::timeout;
    default:
      return std::nullopt;
  }
}

milliseconds cooldown_store::record(const std::string& provider, const std::string& model,
                                    const std::string& credential, cooldown_reason why,
                                    std::optional<milliseconds> retry_after) {
  auto now = clock_();
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const cooldown_entry& e) {
    return e.provider == provider && e.model == model && e.credential == credential;
  });
  if (it == entries_.end()) {
    entries_.push_back({provider, model, credential, now, 0, {}});
    it = entries_.end() - 1;
  }
  it->level += 1;
  milliseconds wait = ladder(why, it->level);
  if (retry_after && *retry_after > wait) wait = *retry_after;  // the vendor knows best
  it->until = now + wait;
  it->reason = std::string(name(why));
  save();
  return wait;
}

void cooldown_store::clear(const std::string& provider, const std::string& model,
                           const std::string& credential) {
  auto before = entries_.size();
  std::erase_if(entries_, [&](const cooldown_entry& e) {
    return e.provider == provider && e.model == model && e.credential == credential;
  });
  if (entries_.size() != before) save();
}

milliseconds cooldown_store::remaining(const std::string& provider, const std::string& model,
                                       const std::string& credential) const {
  auto now = clock_();
  for (const auto& e : entries_)
    if (e.provider == provider && e.model == model && e.credential == credential && e.until > now)
      return std::chrono::duration_cast<milliseconds>(e.until - now);
  return milliseconds(0);
}

std::vector<cooldown_entry> cooldown_store::entries() const {
  std::vector<cooldown_entry> live;
  auto now = clock_();
  for (const auto& e : entries_)
    if (e.until > now) live.push_back(e);
  return live;
}

void cooldown_store::load() {
  if (file_.empty()) return;
  bool exists = false;
  auto text = read_file(file_, exists);
  if (!text || !exists) return;
  auto doc = json::parse(*text);
  if (!doc) return;  // our own cache: a damaged file only costs remembered cooldowns
  const json* list = doc->find("entries");  // null unless an object holds it
  if (list == nullptr || !list->is_array()) return;
  for (const auto& e : list->as_array()) {
    cooldown_entry c;
    c.provider = e.string_or("provider");
    c.model = e.string_or("model");
    c.credential = e.string_or("credential");
    // Clamped to year 2200: the clock counts nanoseconds, and year 2262 overflows it.
    constexpr std::int64_t latest = 7'258'118'400'000;
    c.until = std::chrono::system_clock::time_point(
        milliseconds(std::clamp<std::int64_t>(e.int_or("until", 0), 0, latest)));
    c.level = static_cast<int>(e.int_or("level", 1));
    c.reason = e.string_or("reason");
    if (!c.provider.empty()) entries_.push_back(std::move(c));
  }
}

void cooldown_store::save() const {
  if (file_.empty()) return;
  json list = json::array();
  for (const auto& e : entries_) {
    auto until = std::chrono::duration_cast<milliseconds>(e.until.time_since_epoch()).count();
    list.push_back(json::object({{"provider", e.provider},
                                 {"model", e.model},
                                 {"credential", e.credential},
                                 {"until", until},
                                 {"level", e.level},
                                 {"reason", e.reason}}));
  }
  // Best effort: failing to remember a cooldown must not fail the call.
  (void)write_file_atomic(file_, json::object({{"version", 1}, {"entries", list}}).dump(2) + "\n");
}

std::string credential_id(const credential& c) {
  return c.source + "#" + c.key.fingerprint().substr(c.key.fingerprint().find('#') + 1);
}

}  // namespace durar::detail
