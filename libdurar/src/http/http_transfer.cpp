#include "http/http_transfer.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>

namespace durar::detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool has_header(const http_request& r, std::string_view lower_name) {
  for (const auto& [name, value] : r.headers)
    if (to_lower(name) == lower_name) return true;
  return false;
}

// A line break in a header would let a caller's value inject headers of its own.
bool safe_header_text(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool valid_header_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c <= ' ' || c >= 127 || c == ':') return false;
  return true;
}

bool valid_method(std::string_view m) {
  if (m.empty()) return false;
  for (char c : m)
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }

// CURLOPT_HEADERFUNCTION: one header line per call, for every response (1xx included).
std::size_t parse_header_line(transfer* t, char* data, std::size_t len) {
  if (t->failure) return 0;
  t->last_byte = now();
  if (t->head_delivered) return len;  // trailers after a chunked body
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->head = http_head{};
    auto space = line.find(' ');
    int status = 0;
    for (auto i = space == std::string_view::npos ? line.size() : space + 1;
         i < line.size() && status < 1000 && std::isdigit(static_cast<unsigned char>(line[i])); ++i)
      status = status * 10 + (line[i] - '0');
    t->head.status = status;
    return len;
  }
  if (line.empty()) {
    // An interim response (100 Continue, 103 Early Hints) is followed by the real one.
    if (t->head.status == 0 || t->head.status / 100 == 1) {
      t->head = http_head{};
      return len;
    }
    if (t->hold != nullptr && t->hold->on) return len;  // delivered from the loop
    t->deliver_head();
    return t->failure ? 0 : len;
  }
  if ((line.front() == ' ' || line.front() == '\t') && !t->head.headers.empty()) {
    auto& value = t->head.headers.back().second;
    value += ' ';
    value += trim(line);
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  t->head.headers.emplace_back(to_lower(trim(line.substr(0, colon))),
                               std::string(trim(line.substr(colon + 1))));
  return len;
}

std::size_t on_header_line(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* t = static_cast<transfer*>(user);
  try {
    return parse_header_line(t, data, size * count);
  } catch (...) {  // nothing may unwind through libcurl
    t->callback_threw("header parser", "out of memory");
    return 0;
  }
}

// CURLOPT_WRITEFUNCTION: body bytes go straight to the caller.
std::size_t on_body_bytes(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* t = static_cast<transfer*>(user);
  const std::size_t len = size * count;
  if (t->failure) return CURL_WRITEFUNC_ERROR;
  if (t->hold != nullptr && t->hold->on) {  // curl keeps the bytes until it is resumed
    t->hold->paused.push_back(t->id);
    return CURL_WRITEFUNC_PAUSE;
  }
  t->last_byte = now();
  t->deliver_head();
  if (!t->request.body.empty()) t->release_body();
  if (!t->failure && len > 0 && t->callbacks.on_body)
    t->guarded("on_body", [&] { t->callbacks.on_body(std::string_view(data, len)); });
  return t->failure ? CURL_WRITEFUNC_ERROR : len;
}

// DURAR_HTTP_TRACE=1: request and response headers, credentials masked.
int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void*) noexcept try {
  if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN) return 0;
  const char* arrow = type == CURLINFO_HEADER_OUT ? ">" : "<";
  std::string text = redact_http(std::string_view(data, size));
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) out += fmt::format("durar http {} {}\n", arrow, line);
    start = end + 1;
  }
  std::fputs(out.c_str(), stderr);
  return 0;
} catch (...) {
  return 0;  // tracing is best effort
}

}  // namespace

std::string describe_target(const http_request& r) {
  return redact_http(fmt::format("{} {}", r.method, r.url));
}

transfer::transfer(asio::io_context& io, std::uint64_t id_, http_request req, http_timeouts to,
                   http_callbacks cb)
    : id(id_),
      request(std::move(req)),
      timeouts(to),
      callbacks(std::move(cb)),
      idle_timer(io),
      total_timer(io),
      last_byte(now()) {}

transfer::~transfer() {
  if (easy != nullptr) curl_easy_cleanup(easy);
  curl_slist_free_all(header_list);
  curl_slist_free_all(resolve_list);
}

void transfer::callback_threw(const char* what, const char* detail) noexcept {
  try {
    if (!failure)
      failure = durar::error(errc::internal,
                             redact_http(fmt::format("{} callback threw: {}", what, detail)));
  } catch (...) {
    failure = durar::error();  // errc::internal with no message: allocation failed
  }
}

void transfer::deliver_head() {
  if (head_delivered || failure) return;
  head_delivered = true;
  if (head.status == 0) {
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    head.status = static_cast<int>(code);
  }
  if (callbacks.on_head) guarded("on_head", [&] { callbacks.on_head(head); });
}

// A streamed answer can stay open for minutes while its request body (system prompt, tool
// schemas, history: ~12 KB for a bare agent turn) is dead weight. libcurl reads the body
// (CURLOPT_POSTFIELDS points into it) while sending it, and again only to re-send the
// request on a fresh connection when nothing at all came back (a reused connection found
// dead, a refused HTTP/2 stream); we set no redirects or authentication that would replay
// it. So once response bytes have arrived and curl counts every body byte as sent, the
// body is freed. Until curl counts them all it stays, whatever the protocol.
void transfer::release_body() {
  curl_off_t sent = 0;
  if (curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &sent) != CURLE_OK) return;
  if (sent < 0 || static_cast<std::size_t>(sent) < request.body.size()) return;
  std::string().swap(request.body);
}

result<void> transfer::configure(void* sockets_owner, curl_opensocket_callback open_socket,
                                 curl_closesocket_callback close_socket, bool trace) {
  if (!valid_method(request.method)) return fail(errc::invalid_argument, "invalid HTTP method");
  for (const auto& [name, value] : request.headers) {
    if (!valid_header_name(name) || !safe_header_text(value))
      return fail(errc::invalid_argument,
                  redact_http(fmt::format("invalid HTTP header {:?}", name)));
  }
  if (easy == nullptr) easy = curl_easy_init();  // else a reset one from the client's spares
  if (easy == nullptr) return fail(errc::internal, "curl_easy_init failed");

  auto append = [this](const std::string& line) {
    curl_slist* next = curl_slist_append(header_list, line.c_str());
    if (next == nullptr) return false;
    header_list = next;
    return true;
  };
  bool ok = true;
  for (const auto& [name, value] : request.headers)
    ok = ok && append(value.empty() ? name + ";" : name + ": " + value);
  // libcurl would otherwise wait for "100 Continue" on large bodies and label bodies as forms.
  if (!has_header(request, "expect")) ok = ok && append("Expect:");
  if (!request.body.empty() && !has_header(request, "content-type"))
    ok = ok && append("Content-Type:");
  if (!ok) return fail(errc::internal, "out of memory building request headers");

  if (curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str()) != CURLE_OK)
    return fail(errc::invalid_argument, fmt::format("invalid URL in {}", describe_target(request)));
  curl_easy_setopt(easy, CURLOPT_PRIVATE, static_cast<void*>(this));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  // libcurl's smallest upload buffer (its default is 64 KB): a gateway holding 1,000 streams
  // holds 1,000 transfers, and request bodies are sent from memory anyway.
  curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
  // The receive buffer likewise (libcurl's default is 16 KB, allocated at connect and kept
  // for the transfer's life): a streamed answer arrives in events of a few hundred bytes,
  // and a larger body only takes a few more reads.
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 4096L);
  if (timeouts.connect.count() > 0)
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts.connect.count()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list);
  for (const auto& entry : connect.resolve) {
    curl_slist* next = curl_slist_append(resolve_list, entry.c_str());
    if (next == nullptr) return fail(errc::internal, "out of memory building the resolve list");
    resolve_list = next;
  }
  if (resolve_list != nullptr) curl_easy_setopt(easy, CURLOPT_RESOLVE, resolve_list);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header_line);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, static_cast<void*>(this));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body_bytes);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, static_cast<void*>(this));
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, sockets_owner);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, sockets_owner);
  if (trace) {
    curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION, &on_debug);
    curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);
  }

  const auto& method = request.method;
  const bool has_body = !request.body.empty();
  if (method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (method == "GET" && !has_body) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    if (method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST" || has_body) {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }
  return {};
}

durar::error transfer::describe_failure(CURLcode code) const {
  std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
  const std::string where = describe_target(request);
  auto make = [&](errc c) {
    return durar::error(c, redact_http(fmt::format("{}: {}", where, detail)));
  };
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:  // no CURLOPT_TIMEOUT is set: only connecting can time out
      return durar::error(errc::deadline_exceeded,
                          redact_http(fmt::format("connect timeout: no connection within {} ms "
                                                  "({}: {})",
                                                  timeouts.connect.count(), where, detail)));
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2_STREAM:
    case CURLE_PROXY:
      return make(errc::unavailable);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP3:
      return make(errc::protocol_error);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return make(errc::invalid_argument);
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_FAILED_INIT:
      return make(errc::internal);
    default:
      return make(errc::unavailable);
  }
}

}  // namespace durar::detail
