// A stream decoder for tests' own transports: the upstream's body, as it arrives, is the
// text of one block, and the end of the body ends the answer.
#pragma once

#include <durar/router.hpp>

#include <memory>
#include <string_view>

namespace durar::test {

struct text_decoder : stream_decoder {
  stream_builder& out;
  std::size_t block = 0;
  explicit text_decoder(stream_builder& builder) : out(builder) { block = out.begin_text(); }
  void feed(std::string_view bytes) override { out.append(block, bytes); }
  void finish() override { out.done(stop_reason::stop); }
};

}  // namespace durar::test
