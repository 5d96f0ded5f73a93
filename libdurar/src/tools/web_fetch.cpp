// web_fetch: a GET through Durar's HTTP engine, with every hop's host vetted and pinned (the
// connection goes to the addresses that were checked), the download capped, and the page
// reduced to readable text.
#include "tools/web_fetch.hpp"

#include <asio/dispatch.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <curl/curl.h>
#include <fmt/format.h>

#include "core/utf8.hpp"
#include "http/http_client.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

namespace durar {
namespace detail {
namespace {

constexpr std::size_t min_max_chars = 100;
constexpr std::size_t error_excerpt_chars = 500;
constexpr const char* user_agent =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36";

json web_fetch_schema() {
  json max_chars =
      json::object({{"type", "number"},
                    {"description", "Maximum characters to return (truncates when exceeded)."}});
  max_chars.set("minimum", 100);
  json mode = json::object({{"type", "string"},
                            {"description", "Extraction mode (\"markdown\" or \"text\")."},
                            {"enum", json::array({"markdown", "text"})}});
  return json::object(
      {{"type", "object"},
       {"properties",
        json::object({{"url", json::object({{"type", "string"},
                                            {"description", "HTTP or HTTPS URL to fetch."}})},
                      {"extractMode", std::move(mode)},
                      {"maxChars", std::move(max_chars)}})},
       {"required", json::array({"url"})}});
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

struct url_parts {
  std::string url;  // normalised
  std::string scheme;
  std::string host;  // IPv6 without brackets
  std::string port;
};

// Parses `text`, relative to `base` when given (a redirect's Location).
std::optional<url_parts> parse_url(const std::string& text, const std::string* base) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> h(curl_url(), &curl_url_cleanup);
  if (!h) return std::nullopt;
  const unsigned flags = CURLU_NON_SUPPORT_SCHEME;
  if (base != nullptr && curl_url_set(h.get(), CURLUPART_URL, base->c_str(), flags) != CURLUE_OK)
    return std::nullopt;
  if (curl_url_set(h.get(), CURLUPART_URL, text.c_str(), flags) != CURLUE_OK) return std::nullopt;
  auto get = [&](CURLUPart part, unsigned f) -> std::optional<std::string> {
    char* v = nullptr;
    if (curl_url_get(h.get(), part, &v, f) != CURLUE_OK || v == nullptr) return std::nullopt;
    std::string s(v);
    curl_free(v);
    return s;
  };
  url_parts p;
  auto url = get(CURLUPART_URL, 0);
  auto scheme = get(CURLUPART_SCHEME, 0);
  if (!url || !scheme) return std::nullopt;
  p.url = std::move(*url);
  p.scheme = lower(*scheme);
  if (p.scheme != "http" && p.scheme != "https") return p;
  auto host = get(CURLUPART_HOST, 0);
  auto port = get(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!host || host->empty() || !port) return std::nullopt;
  p.host = *host;
  if (p.host.size() > 2 && p.host.front() == '[' && p.host.back() == ']')
    p.host = p.host.substr(1, p.host.size() - 2);
  p.port = std::move(*port);
  return p;
}

std::optional<asio::ip::address> literal_address(const std::string& host) {
  asio::error_code ec;
  auto a = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return a;
}

// Cuts `s` to at most `max` code points; returns how many it had.
std::size_t cut_chars(std::string& s, std::size_t max) {
  std::size_t count = 0;
  std::size_t cut = std::string::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (count == max) cut = i;
    ++count;
  }
  if (cut != std::string::npos) s.resize(cut);
  return count;
}

// ISO-8859-1 and Windows-1252 pages, byte for code point, as UTF-8.
std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char ch : s) append_utf8(out, static_cast<unsigned char>(ch));
  return out;
}

struct content_info {
  std::string mime;  // "text/html"
  std::string charset;
};

content_info parse_content_type(std::string_view header) {
  content_info ci;
  std::string h = lower(header);
  auto semi = h.find(';');
  std::string mime = h.substr(0, semi);
  while (!mime.empty() && mime.back() == ' ') mime.pop_back();
  while (!mime.empty() && mime.front() == ' ') mime.erase(0, 1);
  ci.mime = mime;
  if (auto cs = h.find("charset=", semi == std::string::npos ? h.size() : semi);
      cs != std::string::npos) {
    std::string v = h.substr(cs + 8);
    v = v.substr(0, v.find(';'));
    std::erase(v, '"');
    std::erase(v, ' ');
    ci.charset = v;
  }
  return ci;
}

bool looks_like_html(std::string_view body) {
  std::string head = lower(body.substr(0, 512));
  auto start = head.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return false;
  std::string_view h(head);
  h.remove_prefix(start);
  return h.starts_with("<!doctype html") || h.starts_with("<html");
}

// One web_fetch call: hops (each resolved, vetted and pinned), then the body as text.
class fetch_call : public std::enable_shared_from_this<fetch_call> {
 public:
  fetch_call(asio::io_context& io, const web_fetch_options& options, const web_fetch_guard& guard,
             tool_context ctx, tool_done done, std::size_t max_chars)
      : io_(io),
        options_(options),
        guard_(guard),
        ctx_(std::move(ctx)),
        done_(std::move(done)),
        max_chars_(max_chars),
        deadline_(io),
        resolver_(io) {}

  void start(const std::string& url) {
    auto self = shared_from_this();
    if (ctx_.cancel.is_connected()) {
      std::weak_ptr<fetch_call> weak = self;
      ctx_.cancel.assign([weak, &io = io_](asio::cancellation_type type) {
        if (type == asio::cancellation_type::none) return;
        asio::post(io, [weak] {
          if (auto c = weak.lock()) c->fail_with("web_fetch aborted", "aborted");
        });
      });
    }
    if (options_.timeout.count() > 0) {
      deadline_.expires_after(options_.timeout);
      deadline_.async_wait([self](const asio::error_code& ec) {
        if (!ec)
          self->fail_with(
              fmt::format("Web fetch timed out after {} seconds", self->options_.timeout.count()),
              "timeout");
      });
    }
    original_url_ = url;
    auto parts = parse_url(url, nullptr);
    if (!parts) return fail_with("Invalid URL: must be http or https", "invalid_url");
    hop(std::move(*parts));
  }

 private:
  void hop(url_parts url) {
    if (url.scheme != "http" && url.scheme != "https")
      return fail_with(redirects_ == 0
                           ? "Invalid URL: must be http or https"
                           : fmt::format("Blocked redirect to a non-http(s) URL: {}", url.url),
                       "invalid_url");
    current_ = std::move(url);
    if (options_.allow_private) return request({});
    if (!host_allowed(current_.host))
      return fail_with(fmt::format("Blocked: {} is a private or internal host name", current_.host),
                       "blocked");
    if (auto literal = literal_address(current_.host)) {
      if (!address_allowed(*literal))
        return fail_with(
            fmt::format("Blocked: {} is a private, internal or special-use address", current_.host),
            "blocked");
      return request({});
    }
    resolver_.async_resolve(
        current_.host, current_.port,
        [self = shared_from_this(), host = current_.host](
            const asio::error_code& ec, const asio::ip::tcp::resolver::results_type& results) {
          if (self->finished_ || ec == asio::error::operation_aborted) return;
          if (ec || results.empty())
            return self->fail_with(fmt::format("Web fetch failed: cannot resolve {}: {}", host,
                                               ec ? ec.message() : "no addresses"),
                                   "dns");
          self->resolved(results);
        });
  }

  void resolved(const asio::ip::tcp::resolver::results_type& results) {
    // Every address must pass: a name with one private address could be steered to it.
    std::string addresses;
    for (const auto& entry : results) {
      const asio::ip::address a = entry.endpoint().address();
      if (!address_allowed(a))
        return fail_with(fmt::format("Blocked: {} resolves to a private, internal or "
                                     "special-use address",
                                     current_.host),
                         "blocked");
      std::string text = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
      if (addresses.find(text) == std::string::npos)
        addresses += (addresses.empty() ? "" : ",") + text;
    }
    detail::http_connect_options pin;
    pin.resolve.push_back(fmt::format("{}:{}:{}", current_.host, current_.port, addresses));
    request(std::move(pin));
  }

  bool host_allowed(const std::string& host) const {
    return guard_.host_allowed ? guard_.host_allowed(host) : !is_private_hostname(host);
  }
  bool address_allowed(const asio::ip::address& a) const {
    return guard_.address_allowed ? guard_.address_allowed(a) : !is_private_address(a);
  }

  void request(detail::http_connect_options connect) {
    if (!client_) client_ = std::make_unique<detail::http_client>(io_);
    head_ = {};
    body_.clear();
    redirecting_ = false;
    signal_ = std::make_unique<asio::cancellation_signal>();
    http_request req;
    req.method = "GET";
    req.url = current_.url;
    req.headers = {{"Accept", "text/markdown, text/html;q=0.9, */*;q=0.1"},
                   {"Accept-Language", "en-US,en;q=0.9"},
                   {"User-Agent", user_agent}};
    detail::http_timeouts timeouts;
    if (options_.timeout.count() > 0) {
      timeouts.connect = std::min<std::chrono::milliseconds>(timeouts.connect, options_.timeout);
      timeouts.idle = options_.timeout;  // the deadline timer bounds the whole fetch
    }
    std::weak_ptr<fetch_call> weak = shared_from_this();
    detail::http_callbacks cb;
    cb.on_head = [weak](const http_head& h) {
      if (auto c = weak.lock()) c->on_head(h);
    };
    cb.on_body = [weak](std::string_view bytes) {
      if (auto c = weak.lock()) c->on_body(bytes);
    };
    cb.on_complete = [weak](result<void> r) {
      if (auto c = weak.lock()) c->on_complete(std::move(r));
    };
    client_->start(std::move(req), timeouts, std::move(cb), signal_->slot(), std::move(connect));
  }

  void on_head(const http_head& h) {
    head_ = h;
    const int s = h.status;
    if ((s == 301 || s == 302 || s == 303 || s == 307 || s == 308) &&
        !h.header("location").empty()) {
      redirecting_ = true;
      signal_->emit(asio::cancellation_type::terminal);  // its body is of no use
    }
  }

  void on_body(std::string_view bytes) {
    if (redirecting_ || truncated_) return;
    const std::size_t room = options_.max_bytes - std::min(options_.max_bytes, body_.size());
    body_.append(bytes.substr(0, room));
    if (bytes.size() > room) {
      truncated_ = true;
      signal_->emit(asio::cancellation_type::terminal);  // stop downloading past the cap
    }
  }

  void on_complete(result<void> r) {
    if (finished_) return;
    if (redirecting_) return follow_redirect();
    if (!r && !truncated_)
      return fail_with(fmt::format("Web fetch failed: {}", r.error().message), "network");
    finish();
  }

  void follow_redirect() {
    if (redirects_ >= options_.max_redirects)
      return fail_with(
          fmt::format("Web fetch failed: too many redirects (max {})", options_.max_redirects),
          "redirects");
    ++redirects_;
    const std::string location = head_.header("location");
    auto next = parse_url(location, &current_.url);
    if (!next)
      return fail_with(fmt::format("Web fetch failed: invalid redirect location {}", location),
                       "invalid_url");
    // A fresh hop from the event loop: this runs inside the client's completion.
    asio::post(io_, [self = shared_from_this(), next = std::move(*next)]() mutable {
      if (!self->finished_) self->hop(std::move(next));
    });
  }

  [[nodiscard]] json base_details() const {
    return json::object({{"url", original_url_},
                         {"finalUrl", current_.url.empty() ? original_url_ : current_.url},
                         {"status", head_.status},
                         {"contentType", parse_content_type(head_.header("content-type")).mime},
                         {"truncated", truncated_}});
  }

  void finish() {
    const content_info ct = parse_content_type(head_.header("content-type"));
    std::string body = std::move(body_);
    if (ct.charset == "iso-8859-1" || ct.charset == "latin1" || ct.charset == "windows-1252")
      body = latin1_to_utf8(body);
    std::string text;
    std::string extractor = "raw";
    const bool html = ct.mime == "text/html" || ct.mime == "application/xhtml+xml" ||
                      (ct.mime.empty() && looks_like_html(body));
    if (html) {
      text = html_to_text(body);
      extractor = "html";
    } else if (ct.mime == "application/json" || ct.mime.ends_with("+json")) {
      auto parsed = json::parse(body);
      text = parsed ? parsed->dump(2) : body;
      extractor = parsed ? "json" : "raw";
    } else if (!ct.mime.starts_with("text/") && body.find('\0') != std::string::npos) {
      text = fmt::format("(binary content: {}, {} bytes; not shown)",
                         ct.mime.empty() ? "unknown type" : ct.mime, body.size());
      extractor = "none";
    } else {
      text = std::move(body);
    }

    json details = base_details();
    if (head_.status < 200 || head_.status >= 300) {
      std::string excerpt = text;
      cut_chars(excerpt, error_excerpt_chars);
      return reply(
          error_result(fmt::format("Web fetch failed ({}): {}", head_.status,
                                   excerpt.empty() ? std::string("(empty body)") : excerpt),
                       std::move(details)));
    }
    const std::size_t total_chars = cut_chars(text, max_chars_);
    const bool cut = total_chars > max_chars_;
    if (text.empty()) text = "(empty response)";
    if (cut)
      text += fmt::format("\n\n[Content truncated: showing the first {} of {} characters]",
                          max_chars_, total_chars);
    if (truncated_)
      text += fmt::format("\n\n[Response body truncated after {} bytes]", options_.max_bytes);
    details.set("truncated", truncated_ || cut);
    details.set("extractor", extractor);
    details.set("redirects", redirects_);
    details.set("length", std::min(total_chars, max_chars_));
    details.set("rawLength", total_chars);
    details.set("externalContent", json::object({{"untrusted", true}, {"source", "web_fetch"}}));
    reply(text_result(std::move(text), std::move(details)));
  }

  void fail_with(std::string message, std::string_view kind) {
    json details = base_details();
    details.set("error", std::string(kind));
    reply(error_result(std::move(message), std::move(details)));
  }

  void reply(tool_result r) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    resolver_.cancel();
    if (ctx_.cancel.is_connected()) ctx_.cancel.clear();
    // Safe from inside the client's own callbacks; stops a transfer still running.
    client_.reset();
    auto done = std::move(done_);
    if (!ctx_.executor) return done(std::move(r));
    asio::dispatch(ctx_.executor,
                   [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }

  asio::io_context& io_;
  web_fetch_options options_;
  web_fetch_guard guard_;
  tool_context ctx_;
  tool_done done_;
  std::size_t max_chars_;
  asio::steady_timer deadline_;
  asio::ip::tcp::resolver resolver_;
  // Declared before the client: a request's signal must outlive it.
  std::unique_ptr<asio::cancellation_signal> signal_;
  std::unique_ptr<detail::http_client> client_;
  std::string original_url_;
  url_parts current_;
  http_head head_;
  std::string body_;
  int redirects_ = 0;
  bool redirecting_ = false;
  bool truncated_ = false;
  bool finished_ = false;
};

class web_fetch_tool final : public tool {
 public:
  web_fetch_tool(asio::io_context& io, web_fetch_options options, web_fetch_guard guard)
      : io_(io), options_(std::move(options)), guard_(std::move(guard)) {
    definition_.name = "web_fetch";
    definition_.description =
        "Fetch a URL (HTTP GET) and extract readable content: HTML reduced to text with links "
        "as \"text (url)\", JSON pretty-printed, plain text as is. Does not run JavaScript.";
    definition_.parameters = web_fetch_schema();
  }

  [[nodiscard]] const tool_definition& definition() const noexcept override { return definition_; }

  void async_run(const json& args, tool_context ctx, tool_done done) override {
    const json& url = args["url"];
    if (!url.is_string() || url.as_string().empty())
      return done(error_result("Provide a url to fetch."));
    std::size_t max_chars = options_.max_chars;
    if (const json* m = args.find("maxChars"); m != nullptr && m->is_number()) {
      const double v = m->as_double();
      if (std::isfinite(v))
        max_chars = std::clamp(static_cast<std::size_t>(std::max(v, 0.0)), min_max_chars,
                               std::max(min_max_chars, options_.max_chars));
    }
    auto call = std::make_shared<fetch_call>(io_, options_, guard_, std::move(ctx), std::move(done),
                                             max_chars);
    call->start(url.as_string());
  }

 private:
  asio::io_context& io_;
  tool_definition definition_;
  web_fetch_options options_;
  web_fetch_guard guard_;
};

}  // namespace

std::shared_ptr<tool> make_web_fetch_tool(asio::io_context& io, web_fetch_options options,
                                          web_fetch_guard guard) {
  return std::make_shared<web_fetch_tool>(io, std::move(options), std::move(guard));
}

}  // namespace detail

std::shared_ptr<tool> make_web_fetch_tool(asio::io_context& io, web_fetch_options options) {
  return detail::make_web_fetch_tool(io, std::move(options), {});
}

}  // namespace durar
