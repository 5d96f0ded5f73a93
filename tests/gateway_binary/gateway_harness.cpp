#include "gateway_harness.hpp"

#include <atomic>
#include <cctype>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace durar::test {

namespace fs = std::filesystem;

namespace {

fs::path unique_dir(const std::string& stem) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  fs::path p = fs::temp_directory_path() / (stem + std::to_string(::getpid()) + "-" +
                                            std::to_string(counter++) + "-" + std::to_string(rd()));
  fs::create_directories(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string recording(const std::string& name) {
  return std::string(DURAR_TEST_DATA) + "/providers/openai-completions/" + name;
}

fake_vendor_process::fake_vendor_process(std::vector<std::string> recordings) {
  recordings.insert(recordings.begin(), DURAR_FAKE_VENDOR_PATH);
  proc_ =
      std::make_unique<child_process>(std::move(recordings), std::map<std::string, std::string>{});
  if (!proc_->wait_stdout("\n"))
    throw std::runtime_error("durar-fake-vendor printed no URL: " + proc_->err());
  url_ = proc_->out().substr(0, proc_->out().find('\n'));
}

json curl_reply::json_body() const {
  auto j = json::parse(body);
  return j ? *j : json();
}

gateway_process::gateway_process(const std::string& vendor_url,
                                 std::map<std::string, std::string> env,
                                 const std::string& extra_yaml)
    : home_(unique_dir("durar-gw-binary-")) {
  fs::create_directories(home_ / ".durar");
  std::ofstream(home_ / ".durar" / "durar.yaml") << "models:\n"
                                                    "  providers:\n"
                                                    "    fake:\n"
                                                    "      baseUrl: "
                                                 << vendor_url
                                                 << "/v1\n"
                                                    "      api: openai-completions\n"
                                                    "      models: [{ id: m1 }]\n"
                                                    "agents:\n"
                                                    "  defaults:\n"
                                                    "    model: { primary: fake/m1 }\n"
                                                    "    workspace: "
                                                 << (home_ / "ws").string()
                                                 << "\n"
                                                    "gateway:\n"
                                                    "  auth:\n"
                                                    "    token: "
                                                 << gateway_token << "\n"
                                                 << extra_yaml;
  env["HOME"] = home_.string();
  env["FAKE_API_KEY"] = vendor_key;
  env.emplace("DURAR_GATEWAY_PORT", "0");
  proc_ = std::make_unique<child_process>(std::vector<std::string>{DURAR_GATEWAY_PATH}, env);
  const std::string marker = "gateway listening on http://127.0.0.1:";
  if (!proc_->wait_stderr(" (auth:"))
    throw std::runtime_error("durar-gateway did not start: " + proc_->err());
  const std::string& err = proc_->err();
  port_ = static_cast<std::uint16_t>(std::stoi(err.substr(err.find(marker) + marker.size())));
}

gateway_process::~gateway_process() {
  proc_.reset();  // killed and reaped before its files go
  std::error_code ec;
  fs::remove_all(home_, ec);
}

std::string gateway_process::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

curl_reply gateway_process::curl(const std::string& path, std::vector<std::string> args,
                                 bool auth) const {
  const fs::path head = unique_dir("durar-curl-") / "head";
  std::vector<std::string> argv = {DURAR_CURL_PATH, "-sS", "-D",
                                   head.string(),   "-w",  "\n%{http_code}"};
  if (auth) {
    argv.emplace_back("-H");
    argv.emplace_back(std::string("authorization: Bearer ") + gateway_token);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url(path));
  program_result r = run_program(std::move(argv));
  curl_reply out;
  out.exit_code = r.exit_code;
  out.err = r.err;
  auto nl = r.out.rfind('\n');
  out.body = nl == std::string::npos ? r.out : r.out.substr(0, nl);
  if (nl != std::string::npos) out.status = std::atoi(r.out.c_str() + nl + 1);
  out.headers = lower(slurp(head));
  std::error_code ec;
  fs::remove_all(head.parent_path(), ec);
  return out;
}

bool gateway_process::healthy() const {
  curl_reply r = curl("/health", {}, false);
  return r.exit_code == 0 && r.status == 200 && r.json_body()["ok"] == json(true);
}

std::vector<json> gateway_process::transcript(const std::string& key) const {
  const fs::path dir = home_ / ".durar" / "agents" / "main" / "sessions";
  auto index = json::parse(slurp(dir / "sessions.json"));
  std::string id = index && index->is_object() ? (*index)[key].string_or("sessionId") : "";
  // A new session is in the index's journal until the next batched write folds it in.
  std::istringstream journal(slurp(dir / "sessions.json.wal"));
  for (std::string line; std::getline(journal, line);) {
    auto record = json::parse(line);
    if (!record || record->string_or("key") != key) continue;
    id = (*record)["entry"].string_or("sessionId");
  }
  if (id.empty()) return {};
  std::vector<json> lines;
  std::istringstream in(slurp(dir / (id + ".jsonl")));
  for (std::string line; std::getline(in, line);)
    if (auto j = json::parse(line)) lines.push_back(std::move(*j));
  return lines;
}

std::string chat_body(const std::string& message, bool stream) {
  return json::object(
             {{"model", "durar"},
              {"stream", stream},
              {"messages", json::array({json::object({{"role", "user"}, {"content", message}})})}})
      .dump();
}

std::vector<json> assistant_messages(const std::vector<json>& lines) {
  std::vector<json> out;
  for (const auto& l : lines)
    if (l.string_or("type") == "message" && l["message"].string_or("role") == "assistant")
      out.push_back(l["message"]);
  return out;
}

std::string message_text(const json& message) {
  std::string text;
  const json& content = message["content"];
  if (content.is_string()) return content.as_string();
  if (!content.is_array()) return text;
  for (const auto& block : content.as_array())
    if (block.string_or("type") == "text") text += block.string_or("text");
  return text;
}

}  // namespace durar::test
