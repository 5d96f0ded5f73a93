// For tests of a host's own transport: a stream decoder that makes the upstream's body, as it
// arrives, the text of one block (the end of the body ends the answer), and the provider that
// routes model "toy/t1" to such a transport.
#pragma once

#include <durar/catalog.hpp>
#include <durar/router.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace durar::test {

struct text_decoder : stream_decoder {
  stream_builder& out;
  std::size_t block = 0;
  explicit text_decoder(stream_builder& builder) : out(builder) { block = out.begin_text(); }
  void feed(std::string_view bytes) override { out.append(block, bytes); }
  void finish() override { out.done(stop_reason::stop); }
};

// Provider "toy" with model "t1", speaking the transport added as `api`, no key needed.
inline provider_info toy_provider(std::string api, std::string base_url) {
  provider_info p;
  p.id = "toy";
  p.custom_api = std::move(api);
  p.base_url = std::move(base_url);
  p.needs_key = false;
  model_info m;
  m.id = "t1";
  p.models.push_back(m);
  return p;
}

}  // namespace durar::test
