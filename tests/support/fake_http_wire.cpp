#include "fake_http_wire.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>

namespace durar::test {
namespace {

constexpr std::size_t max_head = 1 << 20;

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string hex(std::size_t n) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n, 16);
  return std::string(buf, end);
}

parsed_request bad(std::string why) {
  parsed_request p;
  p.status = parsed_request::state::bad;
  p.error = std::move(why);
  return p;
}

// Chunked body starting at `pos`; returns the end offset, nullopt for need-more, or -1 for bad.
std::optional<std::ptrdiff_t> parse_chunked(std::string_view buf, std::size_t pos,
                                            std::string& body) {
  while (true) {
    auto eol = buf.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view size_line = buf.substr(pos, eol - pos);
    size_line = trim(size_line.substr(0, size_line.find(';')));
    std::size_t size = 0;
    auto [end, ec] =
        std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
    if (ec != std::errc() || end != size_line.data() + size_line.size() || size_line.empty())
      return -1;
    pos = eol + 2;
    if (size == 0) {
      // Trailer lines until an empty line.
      while (true) {
        auto line_end = buf.find("\r\n", pos);
        if (line_end == std::string_view::npos) return std::nullopt;
        bool empty = line_end == pos;
        pos = line_end + 2;
        if (empty) return static_cast<std::ptrdiff_t>(pos);
      }
    }
    if (buf.size() < pos + size + 2) return std::nullopt;
    if (buf.substr(pos + size, 2) != "\r\n") return -1;
    body.append(buf.substr(pos, size));
    pos += size + 2;
  }
}

}  // namespace

parsed_request parse_request(std::string_view buf) {
  parsed_request p;
  auto head_end = buf.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buf.size() > max_head) return bad("request head too large");
    return p;
  }
  std::string_view head = buf.substr(0, head_end + 2);
  auto line_end = head.find("\r\n");
  std::string_view request_line = head.substr(0, line_end);
  auto sp1 = request_line.find(' ');
  auto sp2 = request_line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return bad("malformed request line");
  if (!request_line.substr(sp2 + 1).starts_with("HTTP/1.")) return bad("not HTTP/1.x");
  p.request.method = std::string(request_line.substr(0, sp1));
  p.request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));

  std::size_t pos = line_end + 2;
  while (pos < head.size()) {
    auto eol = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (p.request.headers.empty()) return bad("continuation without a header");
      p.request.headers.back().second += ' ';
      p.request.headers.back().second += trim(line);
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad("malformed header line");
    p.request.headers.emplace_back(to_lower(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
  }
  p.headers_done = true;
  p.expects_continue = to_lower(p.request.header("expect")) == "100-continue";
  p.wants_close = to_lower(p.request.header("connection")) == "close";

  std::size_t body_start = head_end + 4;
  std::string te = to_lower(p.request.header("transfer-encoding"));
  if (te.find("chunked") != std::string::npos) {
    auto end = parse_chunked(buf, body_start, p.request.body);
    if (!end) {
      p.request.body.clear();
      return p;
    }
    if (*end < 0) return bad("malformed chunked body");
    p.consumed = static_cast<std::size_t>(*end);
  } else if (std::string cl = p.request.header("content-length"); !cl.empty()) {
    std::size_t length = 0;
    auto [end, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), length);
    if (ec != std::errc() || end != cl.data() + cl.size()) return bad("bad Content-Length");
    if (buf.size() < body_start + length) return p;
    p.request.body = std::string(buf.substr(body_start, length));
    p.consumed = body_start + length;
  } else {
    p.consumed = body_start;
  }
  p.status = parsed_request::state::done;
  return p;
}

response_plan plan_response(const fake_response& r, bool head_request) {
  response_plan plan;
  bool has_length = false;
  bool has_encoding = false;
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " ";
  head += reason_phrase(r.status);
  head += "\r\n";
  for (const auto& [name, value] : r.headers) {
    std::string lower = to_lower(name);
    has_length = has_length || lower == "content-length";
    has_encoding = has_encoding || lower == "transfer-encoding";
    head += name + ": " + value + "\r\n";
  }
  // Explicit framing headers in the response win, so tests can send deliberately wrong ones.
  if (r.chunked && !has_encoding && !has_length)
    head += "Transfer-Encoding: chunked\r\n";
  else if (!r.chunked && !has_length && !has_encoding)
    head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  head += "\r\n";
  plan.writes.push_back(std::move(head));
  if (head_request) return plan;

  // The earliest fault decides where the body stops and what happens there.
  std::size_t cut = r.body.size();
  auto consider = [&](const std::optional<std::size_t>& at, response_end end) {
    if (at && (plan.end == response_end::keep_alive || *at < cut)) {
      cut = std::min(*at, r.body.size());
      plan.end = end;
    }
  };
  consider(r.reset_after, response_end::reset);
  consider(r.close_after, response_end::close);
  consider(r.stall_after, response_end::stall);

  const bool chunked = r.chunked && !has_length;
  const std::size_t step = r.split_every > 0 ? r.split_every : std::max<std::size_t>(cut, 1);
  for (std::size_t off = 0; off < cut; off += step) {
    std::string_view piece = std::string_view(r.body).substr(off, std::min(step, cut - off));
    if (chunked)
      plan.writes.push_back(hex(piece.size()) + "\r\n" + std::string(piece) + "\r\n");
    else
      plan.writes.emplace_back(piece);
  }
  if (chunked && plan.end == response_end::keep_alive) plan.writes.emplace_back("0\r\n\r\n");
  return plan;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 529:
      return "Overloaded";
    default:
      return "Fake Status";
  }
}

}  // namespace durar::test
