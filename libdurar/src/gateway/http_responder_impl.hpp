// The http_responder a handler gets: it formats one response (whole with Content-Length, or
// streamed with chunked encoding) into its connection's write queue and tells the connection
// when the response is over. It holds the connection weakly: a handler may keep it longer.
#pragma once

#include <asio/io_context.hpp>

#include "http_types.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace durar::gateway_detail {

class http_connection;

class responder_impl final : public http_responder {
 public:
  responder_impl(std::weak_ptr<http_connection> conn, std::uint64_t seq, asio::io_context& io,
                 bool head, bool http10, bool keep_alive, std::size_t max_buffered);
  // Dropped without a response: the connection answers 500 (or cuts a started stream).
  ~responder_impl() override;
  responder_impl(const responder_impl&) = delete;
  responder_impl& operator=(const responder_impl&) = delete;

  void respond(int status, header_list headers, std::string body) override;
  void start_stream(int status, header_list headers) override;
  void write(std::string_view bytes) override;
  void end() override;
  void on_disconnect(std::function<void()> f) override;
  [[nodiscard]] bool open() const override;

  // The handler threw: 500 if nothing was sent yet, else the connection is cut.
  void fail();
  // The connection closed under a response in progress; notify: call on_disconnect.
  void disconnected(bool notify);

 private:
  enum class state { fresh, streaming, done };
  [[nodiscard]] std::shared_ptr<http_connection> usable() const;
  std::string head(int status, const header_list& headers, bool& close) const;

  std::weak_ptr<http_connection> conn_;
  std::uint64_t seq_;
  asio::io_context& io_;
  bool head_;
  bool http10_;
  bool keep_alive_;
  std::size_t max_buffered_;
  state state_ = state::fresh;
  bool chunked_ = false;
  bool bodiless_ = false;
  bool close_ = false;
  bool gone_ = false;      // the client went away
  bool notified_ = false;  // on_disconnect ran (or was scheduled)
  bool overflow_ = false;  // the client reads too slowly: writes dropped, connection cut
  std::function<void()> on_disconnect_;
};

// A complete error response the server writes itself (400 malformed, 408, 413, 431, ...):
// OpenAI's error JSON (http_errors.hpp's server_error) saying `message`, or the reason phrase
// when it is empty. extra_headers: whole lines, each ending in CRLF.
std::string simple_response(int status, std::string_view message, bool close, bool http10,
                            std::string_view extra_headers = {});
// Just the JSON body of such a response.
std::string error_response_body(int status, std::string_view message);

}  // namespace durar::gateway_detail
