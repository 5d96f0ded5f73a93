// Loop detection: a model that keeps making the same call with the same arguments is stuck;
// the run ends instead of burning tokens until max_turns.
#include <fmt/format.h>

#include "agent/agent_internal.hpp"

#include <algorithm>

namespace durar::detail {

namespace {

json sorted(const json& j) {
  if (j.is_array()) {
    json_array out;
    out.reserve(j.size());
    for (const auto& v : j.as_array()) out.push_back(sorted(v));
    return json(std::move(out));
  }
  if (!j.is_object()) return j;
  json_object out;
  out.reserve(j.size());
  for (const auto& [k, v] : j.as_object()) out.emplace_back(k, sorted(v));
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return json(std::move(out));
}

// Long arguments are cut in the reason; people need to recognise the call, not reread it.
std::string brief(std::string text) {
  constexpr std::size_t max = 200;
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "…";
}

}  // namespace

std::string canonical_json(const json& j) { return sorted(j).dump(); }

std::optional<std::string> loop_guard::observe(const std::vector<const tool_call_block*>& calls) {
  if (limit_ <= 0) return std::nullopt;
  for (const tool_call_block* c : calls) {
    std::string key = c->name + ' ' + canonical_json(c->arguments);
    if (key == last_) {
      ++count_;
    } else {
      last_ = std::move(key);
      count_ = 1;
    }
    if (count_ >= limit_)
      return fmt::format("loop detected: {} {} {} times", c->name,
                         brief(canonical_json(c->arguments)), count_);
  }
  return std::nullopt;
}

}  // namespace durar::detail
