// Replays recorded vendor bodies through a transport's decoder: whole, split at every offset,
// byte by byte. Used by the openai-responses and ollama tests.
#pragma once

#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace wire_replay {

inline std::string read_data(const std::string& relative) {
  std::ifstream in(std::string(DURAR_TEST_DATA) + "/" + relative, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string dump(const durar::assistant_message& m) {
  return durar::to_json(durar::message(m)).dump();
}

// What one decoding run produced.
struct run {
  durar::assistant_message final;  // the terminal event's message
  durar::event_fold fold;
  std::vector<durar::event_kind> kinds;
  std::size_t terminals = 0;
  std::vector<durar::errc> failures;
};

// The message a call starts from; a fixed timestamp so runs compare equal.
inline durar::assistant_message initial(const durar::call_spec& call) {
  durar::assistant_message m;
  m.api = std::string(durar::to_string(call.model.api));
  m.provider = call.model.provider;
  m.model = call.model.id;
  m.timestamp = 1;
  return m;
}

// Feeds `chunks` in order, then finish().
inline run decode(const durar::transport& t, const durar::call_spec& call,
                  const std::vector<std::string_view>& chunks) {
  run r;
  durar::stream_builder out(initial(call), call.model.cost, [&r](const durar::stream_event& e) {
    r.kinds.push_back(e.kind);
    r.fold.apply(e);
    if (e.kind == durar::event_kind::done || e.kind == durar::event_kind::error) {
      ++r.terminals;
      r.final = *e.message;
      if (e.failure != nullptr) r.failures.push_back(e.failure->code);
    }
  });
  auto decoder = t.make_decoder(call, out);
  for (auto c : chunks) decoder->feed(c);
  decoder->finish();
  return r;
}

inline run decode_whole(const durar::transport& t, const durar::call_spec& call,
                        std::string_view body) {
  return decode(t, call, {body});
}

// The invariants every decoding keeps: one terminal event, last; the fold equals it.
inline void check_invariants(const run& r) {
  REQUIRE(r.terminals == 1);
  REQUIRE(!r.kinds.empty());
  CHECK((r.kinds.back() == durar::event_kind::done || r.kinds.back() == durar::event_kind::error));
  CHECK(r.kinds.front() == durar::event_kind::start);
  CHECK(dump(r.fold.message()) == dump(r.final));
}

// Every two-piece split and the byte-by-byte feed give the same final message.
inline void check_every_split(const durar::transport& t, const durar::call_spec& call,
                              std::string_view body) {
  const run whole = decode_whole(t, call, body);
  check_invariants(whole);
  const std::string expected = dump(whole.final);
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    run r = decode(t, call, {body.substr(0, cut), body.substr(cut)});
    if (r.terminals != 1 || dump(r.final) != expected || dump(r.fold.message()) != expected) {
      INFO("split at byte " << cut);
      check_invariants(r);
      REQUIRE(dump(r.final) == expected);
    }
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < body.size(); ++i) bytes.push_back(body.substr(i, 1));
  run r = decode(t, call, bytes);
  check_invariants(r);
  CHECK(dump(r.final) == expected);
}

}  // namespace wire_replay
