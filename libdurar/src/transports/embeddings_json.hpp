// Private to the embeddings parsers: answers hold millions of numbers, so vectors are read
// as floats straight from simdjson's DOM rather than through durar::json (one node per number).
#pragma once

#include <durar/error.hpp>
#include <durar/result.hpp>

#include <simdjson.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace durar::detail::embeddings_json {

namespace dom = simdjson::dom;

// protocol_error "<wire>: <what>".
error malformed(std::string_view wire, std::string_view what);

// The body as a JSON object, parsed by `parser` (the object lives as long as the parser's
// next parse). A body carrying only {"error": ...} is reported with the vendor's words.
result<dom::object> parse_object(dom::parser& parser, std::string_view body, std::string_view wire);

// An array of numbers as floats; the strings "NaN", "Infinity" and "-Infinity" (Gemini's
// proto JSON) accepted. `what` names the value in errors ("data[3].embedding").
result<std::vector<float>> read_vector(dom::element value, std::string_view wire,
                                       std::string_view what);

// A count other than the inputs sent: the vectors cannot be matched to inputs.
result<void> check_count(std::size_t got, std::size_t expected, std::string_view wire);

}  // namespace durar::detail::embeddings_json
