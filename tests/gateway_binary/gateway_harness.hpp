// The real durar-gateway program on a free port, with a private HOME whose config points at
// a fake vendor, and the real curl to talk to it. Paths come from the build
// (DURAR_GATEWAY_PATH, DURAR_FAKE_VENDOR_PATH, DURAR_TEST_DATA).
#pragma once

#include <durar/json.hpp>

#include "child_process.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace durar::test {

inline constexpr const char* gateway_token = "gw-binary-canary-token";
inline constexpr const char* vendor_key = "sk-binary-canary-vendor";

// tests/data/providers/openai-completions/<name>
std::string recording(const std::string& name);
// The text the recording text.response.sse streams, whole.
inline constexpr const char* recorded_text =
    "Marhaba! Durar (\xd8\xaf\xd9\x8f\xd8\xb1\xd9\x8e\xd8\xb1) means \"pearls\" in Arabic "
    "\xf0\x9f\xa6\xaa\xe2\x9c\xa8. How can I help?";

// durar-fake-vendor serving recordings in turn, until it is destroyed.
class fake_vendor_process {
 public:
  explicit fake_vendor_process(std::vector<std::string> recordings);
  [[nodiscard]] const std::string& url() const { return url_; }

 private:
  std::unique_ptr<child_process> proc_;
  std::string url_;
};

struct curl_reply {
  int exit_code = -1;   // curl's own: 0 ok, 7 could not connect, ...
  int status = 0;       // HTTP status, 0 when there was none
  std::string headers;  // lower-cased, every response's head (1xx included)
  std::string body;
  std::string err;
  [[nodiscard]] json json_body() const;
};

class gateway_process {
 public:
  // Writes <home>/.durar/durar.yaml (fake/m1 at `vendor_url`, token auth, `extra_yaml`
  // appended), starts durar-gateway with DURAR_GATEWAY_PORT=0 and `env`, and waits for the
  // line that names its port.
  explicit gateway_process(const std::string& vendor_url,
                           std::map<std::string, std::string> env = {},
                           const std::string& extra_yaml = {});
  ~gateway_process();
  gateway_process(const gateway_process&) = delete;
  gateway_process& operator=(const gateway_process&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path = "/") const;
  [[nodiscard]] child_process& proc() { return *proc_; }
  [[nodiscard]] const std::filesystem::path& home() const { return home_; }

  // curl -sS ARGS... URL(path); `auth` adds the bearer token.
  curl_reply curl(const std::string& path, std::vector<std::string> args = {},
                  bool auth = true) const;
  // GET /health answers 200 {"ok":true}.
  [[nodiscard]] bool healthy() const;
  // The transcript of a session (agent main) as its JSON lines; empty when there is none.
  [[nodiscard]] std::vector<json> transcript(const std::string& key) const;

 private:
  std::filesystem::path home_;
  std::unique_ptr<child_process> proc_;
  std::uint16_t port_ = 0;
};

// A chat completions request body for one user message.
std::string chat_body(const std::string& message, bool stream);
// The assistant messages of a transcript, in order.
std::vector<json> assistant_messages(const std::vector<json>& lines);
// The text blocks of a message's content, joined.
std::string message_text(const json& message);

}  // namespace durar::test
