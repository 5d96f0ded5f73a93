// An index entry written straight from its fields is byte for byte what building its json
// with info_to_json and pretty-printing it one level deep gives.
#include <catch2/catch.hpp>

#include "session/session_internal.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace durar;

namespace {

// The old rendering: the whole tree built, dumped, then every line indented by two spaces.
std::string reference_member(const session_info& info) {
  std::string value = detail::info_to_json(info).dump(2);
  std::string out = "  ";
  json_quote(out, info.key);
  out += ": ";
  for (char c : value) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

std::string direct_member(const session_info& info) {
  std::string out;
  detail::render_index_member(out, info);
  return out;
}

void check_same(const session_info& info) {
  std::string want = reference_member(info);
  std::string got = direct_member(info);
  INFO("want:\n" << want << "\ngot:\n" << got);
  CHECK(got == want);
}

session_info all_set() {
  session_info info;
  info.key = "agent:main:main";
  info.session_id = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
  info.updated_at = 1776762840123;
  info.started_at = 1776762800000;
  info.last_interaction_at = 1776762839999;
  info.model_override = "claude-opus-4";
  info.provider_override = "anthropic";
  info.thinking_level = "high";
  info.model = "gpt-5";
  info.model_provider = "openai";
  info.input_tokens = 1234;
  info.output_tokens = 56;
  info.total_tokens = 1290;
  info.context_tokens = 200000;
  info.compaction_count = 3;
  info.cost = 0.0123;
  return info;
}

json extras() {
  json nested = json::object({{"a", json::object({{"b", json::array({1, 2, json::object()})}})},
                              {"empty", json::object()},
                              {"list", json::array()}});
  return json::object({
      {"label", "Ünïcödé ✓ \"quoted\" back\\slash\ttab\nline \x01 ctl"},
      {"chatType", "direct"},
      {"origin", nested},
      {"arr", json::array({json::array({1, json::array()}), "x", nullptr, true, false, 0.5})},
      {"emptyObj", json::object()},
      {"emptyArr", json::array()},
      {"tenth", 0.1},
      {"huge", 1e300},
      {"tiny", -5e-324},
      {"whole", 2.0},
      {"neg", -42},
      {"min", std::numeric_limits<std::int64_t>::min()},
      {"umax", std::numeric_limits<std::uint64_t>::max()},
      {"null", nullptr},
  });
}

}  // namespace

TEST_CASE("an index entry is rendered directly as the tree renders it", "[session][index]") {
  SECTION("all fields empty") {
    session_info info;
    check_same(info);
    info.raw = json();  // null raw: an empty object to start from
    check_same(info);
  }
  SECTION("all fields set") { check_same(all_set()); }
  SECTION("keys and strings with unicode, escapes and invalid UTF-8") {
    session_info info = all_set();
    info.key = "agent:main:\"quo\\te\"\n\t\x7f ünï ✓ 😀 \xff\xfe bad";
    info.session_id = "id with \"quotes\" and \x1f";
    info.model = "模型 \xc3";
    info.thinking_level = "\\";
    check_same(info);
  }
  SECTION("raw with extra members, before and after the typed fields") {
    session_info info = all_set();
    info.raw = extras();
    check_same(info);
    info.raw = detail::info_to_json(all_set());  // typed keys first, as read from a file
    json more = extras();
    for (auto& [k, v] : more.as_object()) info.raw.set(k, v);
    check_same(info);
    session_info empty;
    empty.raw = extras();
    check_same(empty);
  }
  SECTION("raw members colliding with the typed fields") {
    json raw = extras();
    raw.set("model", "old-model");
    raw.set("inputTokens", 99);
    raw.set("estimatedCostUsd", 1.5);
    raw.set("compactionCount", 0.5);
    raw.set("sessionId", json::object({{"not", "a string"}}));
    raw.set("thinkingLevel", json::array({1}));
    raw.set("updatedAt", "yesterday");
    raw.set("contextTokens", 0);
    session_info set = all_set();
    set.raw = raw;
    check_same(set);
    session_info zero;  // zero and empty: strings go, numbers present in raw stay as 0
    zero.raw = raw;
    check_same(zero);
  }
  SECTION("duplicate raw keys: the first takes the typed value") {
    session_info info = all_set();
    info.raw = json::object();
    auto& m = info.raw.as_object();
    m.emplace_back("model", "first");
    m.emplace_back("x", 1);
    m.emplace_back("model", "second");
    m.emplace_back("totalTokens", 5);
    m.emplace_back("totalTokens", 6);
    check_same(info);
    info.model.clear();
    info.total_tokens = 0;
    check_same(info);
  }
  SECTION("odd numbers in typed fields") {
    session_info info;
    info.updated_at = std::numeric_limits<std::int64_t>::min();
    info.input_tokens = -1;
    info.output_tokens = std::numeric_limits<std::int64_t>::max();
    info.compaction_count = std::numeric_limits<int>::min();
    for (double cost :
         {0.1, 1e300, -0.0, 3.0, 1e-7, 123456789012345678.0,
          std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
      info.cost = cost;
      check_same(info);
    }
  }
  SECTION("a raw entry that is not an object") {
    for (const json& raw : {json(42), json("text"), json(true), json(0.25), json::array(),
                            json::array({1, json::object({{"a", json::array({2})}})}),
                            json(std::numeric_limits<std::uint64_t>::max())}) {
      session_info info;
      info.key = "k";
      info.raw = raw;
      check_same(info);  // written as it is
      info.session_id = "s";
      check_same(info);  // replaced by an object of the typed fields
    }
  }
}

TEST_CASE("random index entries render as the tree renders them", "[session][index]") {
  std::mt19937_64 rng(20260421);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::vector<std::string> keys = {"sessionId",
                                         "updatedAt",
                                         "sessionStartedAt",
                                         "lastInteractionAt",
                                         "modelOverride",
                                         "providerOverride",
                                         "thinkingLevel",
                                         "model",
                                         "modelProvider",
                                         "inputTokens",
                                         "outputTokens",
                                         "totalTokens",
                                         "contextTokens",
                                         "compactionCount",
                                         "estimatedCostUsd",
                                         "label",
                                         "sessionFile",
                                         "origin",
                                         "ü\"k",
                                         ""};
  const std::vector<std::string> strings = {"", "a", "ünï ✓", "q\"b\\s\n", "\x01\xff", "gpt-5"};
  std::function<json(int)> value = [&](int depth) -> json {
    switch (pick(depth > 3 ? 8 : 10)) {
      case 0:
        return nullptr;
      case 1:
        return pick(2) == 0;
      case 2:
        return static_cast<std::int64_t>(rng()) >> pick(64);
      case 3:
        return static_cast<std::uint64_t>(rng());
      case 4:
        return std::ldexp(static_cast<double>(rng() % 1000000) - 500000.0,
                          static_cast<int>(pick(200)) - 100);
      case 5:
      case 6:
      case 7:
        return strings[pick(strings.size())];
      case 8: {
        json a = json::array();
        for (std::size_t i = pick(4); i > 0; --i) a.push_back(value(depth + 1));
        return a;
      }
      default: {
        json o = json::object();
        for (std::size_t i = pick(4); i > 0; --i)
          o.as_object().emplace_back(keys[pick(keys.size())], value(depth + 1));
        return o;
      }
    }
  };
  auto number = [&]() -> std::int64_t {
    return pick(3) == 0 ? 0 : static_cast<std::int64_t>(rng()) >> pick(64);
  };
  auto text = [&] { return strings[pick(strings.size())]; };
  for (int n = 0; n < 2000; ++n) {
    session_info info;
    info.key = text();
    info.session_id = text();
    info.updated_at = number();
    info.started_at = number();
    info.last_interaction_at = number();
    info.model_override = text();
    info.provider_override = text();
    info.thinking_level = text();
    info.model = text();
    info.model_provider = text();
    info.input_tokens = number();
    info.output_tokens = number();
    info.total_tokens = number();
    info.context_tokens = number();
    info.compaction_count = static_cast<int>(number());
    info.cost = pick(2) == 0 ? 0.0 : static_cast<double>(number()) / 1000.0;
    switch (pick(5)) {
      case 0:
        info.raw = value(0);
        break;
      case 1:
        info.raw = json();
        break;
      default: {
        info.raw = json::object();
        for (std::size_t i = pick(12); i > 0; --i)
          info.raw.as_object().emplace_back(keys[pick(keys.size())], value(1));
      }
    }
    INFO("case " << n);
    check_same(info);
  }
}

TEST_CASE("index_member_bytes is the size of the rendered entry", "[session][index]") {
  session_info info = all_set();
  info.raw = extras();
  CHECK(detail::index_member_bytes(info) == reference_member(info).size());
}
