// Reading a request: the http_parser callbacks that build http_request within the header
// and body limits, one request at a time, and the request target split into path and query.
#include "gateway/http_connection.hpp"
#include "gateway/ws_connection.hpp"
#include "gateway/ws_handshake.hpp"

#include <algorithm>
#include <climits>
#include <string>
#include <string_view>

namespace durar::gateway_detail {
namespace {

http_connection& conn_of(http_parser* p) { return *static_cast<http_connection*>(p->data); }

// The parser is C: nothing may unwind through it.
template <class F>
int guarded(F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    return -1;
  }
}

const http_parser_settings& parser_settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s{};
    http_parser_settings_init(&s);
    s.on_message_begin = [](http_parser* p) {
      return guarded([&] { return conn_of(p).on_message_begin(); });
    };
    s.on_url = [](http_parser* p, const char* at, std::size_t n) {
      return guarded([&] { return conn_of(p).on_url({at, n}); });
    };
    s.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
      return guarded([&] { return conn_of(p).on_header_field({at, n}); });
    };
    s.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
      return guarded([&] { return conn_of(p).on_header_value({at, n}); });
    };
    s.on_headers_complete = [](http_parser* p) {
      return guarded([&] { return conn_of(p).on_headers_complete(); });
    };
    s.on_body = [](http_parser* p, const char* at, std::size_t n) {
      return guarded([&] { return conn_of(p).on_body({at, n}); });
    };
    s.on_message_complete = [](http_parser* p) {
      return guarded([&] { return conn_of(p).on_message_complete(); });
    };
    return s;
  }();
  return settings;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded; a malformed escape stays as sent.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Origin form ("/p?q") and absolute form ("http://h/p?q") both give path and query.
void split_target(http_request& r) {
  std::string_view t = r.target;
  if (!t.empty() && t.front() != '/' && t != "*") {
    http_parser_url u{};
    http_parser_url_init(&u);
    if (http_parser_parse_url(t.data(), t.size(), 0, &u) == 0) {
      std::string_view path = (u.field_set & (1 << UF_PATH))
                                  ? t.substr(u.field_data[UF_PATH].off, u.field_data[UF_PATH].len)
                                  : std::string_view("/");
      if (u.field_set & (1 << UF_QUERY))
        r.query = std::string(t.substr(u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len));
      r.path = percent_decode(path);
      return;
    }
  }
  auto q = t.find('?');
  if (q != std::string_view::npos) r.query = std::string(t.substr(q + 1));
  auto path = t.substr(0, q);
  if (auto hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  r.path = percent_decode(path);
}

std::string body_limit_message(std::size_t limit) {
  return "request body is larger than the limit of " + std::to_string(limit) + " bytes";
}

}  // namespace

void http_connection::parse() {
  auto self = shared_from_this();
  while (!closed_ &&
         (phase_ == phase::awaiting || phase_ == phase::headers || phase_ == phase::body) &&
         inbox_size() > 0 && queued_bytes_ < resume_below) {
    if (HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED) http_parser_pause(&parser_, 0);
    const std::size_t len = inbox_size();
    const std::size_t used =
        http_parser_execute(&parser_, &parser_settings(), inbox_.data() + inbox_pos_, len);
    inbox_pos_ += std::min(used, len);
    if (closed_) return;
    if (reject_status_ != 0) {
      reject(reject_status_, reject_message_);
      return;
    }
    auto err = static_cast<http_errno>(parser_.http_errno);
    if (err != HPE_OK && err != HPE_PAUSED) {
      if (err == HPE_HEADER_OVERFLOW)
        reject(431, "request headers are too large");
      else
        reject(400, std::string("malformed HTTP request: ") + http_errno_description(err));
      return;
    }
    if (message_ready_) {
      message_ready_ = false;
      dispatch();
      break;
    }
    if (used < len) {  // the parser stopped without saying why: never spin on it
      reject(400, "malformed HTTP request");
      return;
    }
  }
  if (inbox_pos_ > 0 && inbox_pos_ >= inbox_.size() / 2) {
    inbox_.erase(0, inbox_pos_);
    inbox_pos_ = 0;
  }
}

int http_connection::limit_headers(std::size_t more) {
  header_bytes_ += more;
  if (header_bytes_ > shared_->options.max_header_bytes) {
    reject_status_ = 431;
    reject_message_ = "request headers are larger than the limit of " +
                      std::to_string(shared_->options.max_header_bytes) + " bytes";
    return -1;
  }
  return 0;
}

int http_connection::on_message_begin() {
  req_ = http_request{};
  field_.clear();
  value_.clear();
  in_value_ = in_trailers_ = ws_upgrade_ = close_after_ = false;
  any_bytes_ = true;
  header_bytes_ = 0;
  // The first request's clock runs from accept (slowloris); later ones from their first byte.
  if (deadline_ != deadline::header) arm(deadline::header, shared_->options.header_timeout);
  phase_ = phase::headers;
  return 0;
}

int http_connection::on_url(std::string_view s) {
  if (limit_headers(s.size()) != 0) return -1;
  req_.target.append(s);
  return 0;
}

void http_connection::finish_header() {
  if (!field_.empty())
    req_.headers.emplace_back(ascii_lower(field_), std::string(trim_ows(value_)));
  field_.clear();
  value_.clear();
  in_value_ = false;
}

int http_connection::on_header_field(std::string_view s) {
  if (in_value_) finish_header();
  // Every header costs its line's punctuation too, so empty ones cannot come for free.
  if (limit_headers(s.size() + (field_.empty() ? 4 : 0)) != 0) return -1;
  if (!in_trailers_) field_.append(s);
  return 0;
}

int http_connection::on_header_value(std::string_view s) {
  in_value_ = true;
  if (limit_headers(s.size()) != 0) return -1;
  if (!in_trailers_) value_.append(s);
  return 0;
}

int http_connection::on_headers_complete() {
  finish_header();
  in_trailers_ = true;  // header callbacks after this are chunked trailers: counted, dropped
  req_.method = http_method_str(static_cast<http_method>(parser_.method));
  split_target(req_);
  req_.remote_address = remote_address_;
  req_.remote_is_loopback = remote_loopback_;
  http10_ = parser_.http_major < 1 || (parser_.http_major == 1 && parser_.http_minor == 0);
  keep_alive_ = http_should_keep_alive(&parser_) != 0;
  head_ = parser_.method == HTTP_HEAD;

  const bool chunked = (parser_.flags & F_CHUNKED) != 0;
  const bool has_length = parser_.content_length != ULLONG_MAX;
  const bool has_body = chunked || (has_length && parser_.content_length > 0);
  if (has_length && parser_.content_length > shared_->options.max_body_bytes) {
    reject_status_ = 413;
    reject_message_ = body_limit_message(shared_->options.max_body_bytes);
    return -1;
  }

  if (parser_.upgrade) {
    auto up = req_.header("upgrade");
    if (parser_.method == HTTP_GET && up && header_has_token(*up, "websocket")) {
      auto version = req_.header("sec-websocket-version");
      if (!version || trim_ows(*version) != "13") {
        reject_status_ = 426;
        reject_message_ = "unsupported WebSocket version; Sec-WebSocket-Version must be 13";
        return -1;
      }
      auto key = req_.header("sec-websocket-key");
      if (!key || !ws_key_valid(trim_ows(*key)) || has_body) {
        reject_status_ = 400;
        reject_message_ =
            "invalid WebSocket upgrade: Sec-WebSocket-Key missing or malformed, or a body sent";
        return -1;
      }
      ws_upgrade_ = true;
      ws_accept_ = websocket_accept(trim_ows(*key));
      return 0;
    }
    close_after_ = true;  // another protocol (h2c, CONNECT): answer in HTTP, then close
  }

  if (auto expect = req_.header("expect")) {
    if (!ascii_iequals(trim_ows(*expect), "100-continue")) {
      reject_status_ = 417;
      reject_message_ = "unsupported Expect header; only 100-continue is understood";
      return -1;
    }
    if (!http10_ && has_body) send("HTTP/1.1 100 Continue\r\n\r\n");
  }
  if (has_body) {
    phase_ = phase::body;
    arm(deadline::body, shared_->options.body_timeout);
  }
  return 0;
}

int http_connection::on_body(std::string_view s) {
  if (req_.body.size() + s.size() > shared_->options.max_body_bytes) {
    reject_status_ = 413;
    reject_message_ = body_limit_message(shared_->options.max_body_bytes);
    return -1;
  }
  req_.body.append(s);
  return 0;
}

int http_connection::on_message_complete() {
  // One request at a time: the rest of the input waits until this one is answered.
  message_ready_ = true;
  http_parser_pause(&parser_, 1);
  return 0;
}

}  // namespace durar::gateway_detail
