// Small pieces the transports (and local discovery) share: URL trimming, header merging
// with the caller winning, auth headers, message text.
#pragma once

#include <durar/catalog.hpp>
#include <durar/error.hpp>
#include <durar/message.hpp>
#include <durar/provider.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace durar::detail::wire {

std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b) noexcept;
bool icontains(std::string_view haystack, std::string_view needle);

// The base URL without trailing slashes.
std::string trim_base(std::string_view base_url);
// Lower-cased host of a URL ("" when there is none), without port or user info.
std::string url_host(std::string_view url);

// What an HTTP error status means when the vendor's body says nothing more specific, the
// same for every vendor: 402 and 429 are quota (another key or model may have some), 413 a
// request too large for the model, 408 and 504 timeouts, 5xx the vendor's trouble, and any
// other 4xx a request the vendor will not take (no failover helps); anything else (a
// success or redirect status with an error body) is a protocol error.
errc errc_for_http_status(int status) noexcept;

// Sets a header, replacing one of the same name (names compare case-insensitively).
void put_header(http_request& req, std::string_view name, std::string value);
// Authorization: Bearer <key>, or the raw key under a configured header name (authHeader).
void put_auth(http_request& req, const provider_info& provider, const secret* key);
// The provider's configured headers, then the caller's: the caller wins.
void put_extra_headers(http_request& req, const provider_info& provider,
                       const request_options& options);

// The assistant message came from the model being called (same provider, api and id):
// only then are its opaque signatures meaningful to the vendor.
bool same_model(const assistant_message& m, const model_info& model);
bool has_input(const model_info& model, std::string_view kind);

// Text blocks of a block list joined by `sep`.
std::string joined_text(const std::vector<content_block>& blocks, std::string_view sep);

// Appends an object's members as `,"key":value`: the members a body has after the ones
// written straight into it. The member `raw_key`, when given, is written as `raw_value`,
// JSON text rendered beforehand (the tools from rendered_tools()), whatever it holds.
void append_members(std::string& out, const json& members, std::string_view raw_key = {},
                    std::string_view raw_value = {});

// Whether two JSON values would be written as the same bytes: the same types, values and
// member order (json's == ignores order and compares 1 with 1.0).
bool same_json(const json& a, const json& b) noexcept;

// The tools of a call as one transport renders them, remembered per thread and per
// transport (`format` names the rendering; the last few tool sets of each): a run sends the
// same tools with every model call, and rendering their schemas again is a tenth of what a
// short request costs. A hit is a copy of a list rendered before (agents share their tools'
// lists), or else a list that compares equal, which costs a fraction of rendering it.
const std::string& rendered_tools(
    std::string_view format, const tool_list& tools,
    const std::function<void(std::string&, const std::vector<tool_definition>&)>& render);

// About what a conversation's messages take on the wire, so that a request body is allocated
// once: text as it is plus a little for escapes, and room for each part's fixed keys.
std::size_t estimated_body_size(const conversation& conv);

// Writes a JSON array into a request body an element at a time, so that a long history is
// never held as a second, whole tree. The newest element waits as a tree until the next one
// comes (later parts may still join it); the bytes are those json::dump() gives the array.
class array_writer {
 public:
  explicit array_writer(std::string& out) : out_(out) { out_ += '['; }
  void push_back(json element) {
    flush();
    held_ = std::move(element);
    holding_ = true;
  }
  [[nodiscard]] bool empty() const { return !holding_; }  // nothing pushed yet
  [[nodiscard]] json& back() { return held_; }            // only when !empty()
  void finish() {
    flush();
    out_ += ']';
  }

 private:
  void flush() {
    if (!holding_) return;
    if (written_++ > 0) out_ += ',';
    held_.dump_to(out_);
    holding_ = false;
  }

  std::string& out_;
  json held_;
  bool holding_ = false;
  std::size_t written_ = 0;
};

}  // namespace durar::detail::wire
