#include "transports/wire_helpers.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace durar::detail::wire {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view haystack, std::string_view needle) {
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

std::string trim_base(std::string_view base_url) {
  while (!base_url.empty() && (base_url.back() == '/' || base_url.back() == ' '))
    base_url.remove_suffix(1);
  while (!base_url.empty() && base_url.front() == ' ') base_url.remove_prefix(1);
  return std::string(base_url);
}

std::string url_host(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (!url.empty() && url.front() == '[') return lower(url.substr(0, url.find(']') + 1));
  return lower(url.substr(0, url.find(':')));
}

errc errc_for_http_status(int status) noexcept {
  switch (status) {
    case 401:
      return errc::unauthenticated;
    case 402:
    case 429:
      return errc::resource_exhausted;
    case 403:
      return errc::permission_denied;
    case 404:
      return errc::not_found;
    case 408:
    case 504:
      return errc::deadline_exceeded;
    case 413:
      return errc::context_overflow;
    default:
      if (status >= 500) return errc::unavailable;
      if (status >= 400) return errc::invalid_argument;
      return errc::protocol_error;
  }
}

void put_header(http_request& req, std::string_view name, std::string value) {
  for (auto& [k, v] : req.headers) {
    if (iequals(k, name)) {
      v = std::move(value);
      return;
    }
  }
  req.headers.emplace_back(std::string(name), std::move(value));
}

void put_auth(http_request& req, const provider_info& provider, const secret* key) {
  if (key == nullptr || key->empty()) return;
  if (provider.auth_header.empty() || iequals(provider.auth_header, "authorization"))
    put_header(req, "Authorization", "Bearer " + key->reveal());
  else
    put_header(req, provider.auth_header, key->reveal());
}

void put_extra_headers(http_request& req, const provider_info& provider,
                       const request_options& options) {
  for (const auto& [k, v] : provider.headers) put_header(req, k, v);
  for (const auto& [k, v] : options.headers) put_header(req, k, v);
}

bool same_model(const assistant_message& m, const model_info& model) {
  return m.provider == model.provider && m.api == to_string(model.api) && m.model == model.id;
}

bool has_input(const model_info& model, std::string_view kind) {
  return std::find(model.input.begin(), model.input.end(), kind) != model.input.end();
}

std::string joined_text(const std::vector<content_block>& blocks, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& b : blocks) {
    if (const auto* t = std::get_if<text_block>(&b)) {
      if (!first) out.append(sep);
      out += t->text;
      first = false;
    }
  }
  return out;
}

void append_members(std::string& out, const json& members, std::string_view raw_key,
                    std::string_view raw_value) {
  for (const auto& [key, value] : members.as_object()) {
    out += ',';
    json_quote(out, key);
    out += ':';
    if (!raw_key.empty() && key == raw_key)
      out += raw_value;
    else
      value.dump_to(out);
  }
}

std::size_t estimated_body_size(const conversation& conv) {
  std::size_t n = conv.system_prompt.size() + 64;
  for (const auto& m : conv.messages) {
    std::visit(
        [&n](const auto& v) {
          n += 96;
          for (const auto& b : v.content) {
            if (const auto* t = std::get_if<text_block>(&b)) {
              n += t->text.size() + 16;
            } else if (const auto* th = std::get_if<thinking_block>(&b)) {
              n += th->thinking.size() + 16;
            } else if (const auto* img = std::get_if<image_block>(&b)) {
              n += img->data.size() + img->mime_type.size() + 64;
            } else if (const auto* c = std::get_if<tool_call_block>(&b)) {
              n += c->id.size() + c->name.size() + c->thought_signature.size() + 192;
            }
          }
        },
        m);
  }
  return n + n / 32;
}

bool same_json(const json& a, const json& b) noexcept {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case json_type::null:
      return true;
    case json_type::boolean:
      return a.as_bool() == b.as_bool();
    case json_type::integer:
      return a.as_int() == b.as_int();
    case json_type::uinteger:
      return a.as_uint() == b.as_uint();
    case json_type::real: {
      const double x = a.as_double();
      const double y = b.as_double();
      return x == y || (x != x && y != y);  // NaN is written as null either way
    }
    case json_type::string:
      return a.as_string() == b.as_string();
    case json_type::array: {
      const auto& x = a.as_array();
      const auto& y = b.as_array();
      return std::equal(x.begin(), x.end(), y.begin(), y.end(),
                        [](const json& l, const json& r) { return same_json(l, r); });
    }
    case json_type::object: {
      const auto& x = a.as_object();
      const auto& y = b.as_object();
      return std::equal(x.begin(), x.end(), y.begin(), y.end(), [](const auto& l, const auto& r) {
        return l.first == r.first && same_json(l.second, r.second);
      });
    }
  }
  return false;
}

const std::string& rendered_tools(
    std::string_view format, const tool_list& tools,
    const std::function<void(std::string&, const std::vector<tool_definition>&)>& render) {
  struct entry {
    tool_list tools;  // holding the list keeps its identity from being reused
    std::string text;
  };
  // Per thread, so that no lock is taken. A few entries per rendering, the latest used
  // first: a thread serving several agents, or callers with tools of their own, alternates
  // between tool sets.
  constexpr std::size_t kept = 4;
  thread_local std::map<std::string, std::vector<entry>, std::less<>> cache;
  auto it = cache.find(format);
  if (it == cache.end()) it = cache.emplace(std::string(format), std::vector<entry>{}).first;
  std::vector<entry>& entries = it->second;
  auto same_tools = [&tools](const entry& e) {
    return std::equal(tools.begin(), tools.end(), e.tools.begin(), e.tools.end(),
                      [](const tool_definition& a, const tool_definition& b) {
                        return a.name == b.name && a.description == b.description &&
                               same_json(a.parameters, b.parameters);
                      });
  };
  auto hit = std::find_if(entries.begin(), entries.end(),
                          [&tools](const entry& e) { return e.tools.shares(tools); });
  if (hit == entries.end()) {
    hit = std::find_if(entries.begin(), entries.end(), same_tools);
    if (hit != entries.end()) hit->tools = tools;  // the next call with this list: by identity
  }
  if (hit == entries.end()) {
    if (entries.size() == kept) entries.pop_back();
    entry fresh{tools, {}};
    render(fresh.text, tools);
    entries.insert(entries.begin(), std::move(fresh));
  } else if (hit != entries.begin()) {
    std::rotate(entries.begin(), hit, hit + 1);
  }
  return entries.front().text;
}

}  // namespace durar::detail::wire
