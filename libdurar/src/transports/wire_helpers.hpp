// Small pieces the transports (and local discovery) share: URL trimming, header merging
// with the caller winning, auth headers, message text.
#pragma once

#include <durar/catalog.hpp>
#include <durar/message.hpp>
#include <durar/provider.hpp>

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

}  // namespace durar::detail::wire
