// The fake vendor server's wire format, free of sockets: parsing HTTP/1.1 requests from a
// byte buffer, and laying a fake_response out as the exact writes and fault to perform.
#pragma once

#include "fake_vendor_server.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace durar::test {

struct parsed_request {
  enum class state { need_more, done, bad };
  state status = state::need_more;
  bool headers_done = false;      // the head is in; the body may still be arriving
  bool expects_continue = false;  // "Expect: 100-continue"
  bool wants_close = false;       // "Connection: close"
  std::size_t consumed = 0;       // bytes of the buffer this request used (when done)
  recorded_request request;
  std::string error;  // when bad
};

// Parses the first request in `buffer` (Content-Length or chunked body, or none).
parsed_request parse_request(std::string_view buffer);

// What to do once the planned writes are out.
enum class response_end { keep_alive, reset, stall, close };

struct response_plan {
  std::vector<std::string> writes;  // each is one async_write: head, then body pieces
  response_end end = response_end::keep_alive;
};

response_plan plan_response(const fake_response& r, bool head_request);

std::string_view reason_phrase(int status);

}  // namespace durar::test
