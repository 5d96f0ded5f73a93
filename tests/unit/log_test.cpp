// The logger: level filtering, the JSON-lines file and its daily name, redaction of
// registered and credential-shaped secrets, console styles and colours.
#include <durar/log.hpp>

#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"

#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace durar;
namespace fs = std::filesystem;
using clock_type = std::chrono::system_clock;

namespace {

using durar::test::temp_dir;

std::vector<std::string> read_lines(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string read_all(const fs::path& file) {
  std::string text;
  for (const auto& l : read_lines(file)) text += l + "\n";
  return text;
}

json parse_line(const std::string& text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

// A console that is a regular file, read back after the logger wrote to it.
struct captured_console {
  std::FILE* f = std::tmpfile();
  ~captured_console() { std::fclose(f); }
  captured_console() = default;
  captured_console(const captured_console&) = delete;
  captured_console& operator=(const captured_console&) = delete;
  std::string text() const {
    std::fflush(f);
    std::rewind(f);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    return out;
  }
};

logger_options file_only(const fs::path& file) {
  logger_options o;
  o.file = file;
  o.console = nullptr;
  return o;
}

std::unique_ptr<logger> make(logger_options o) {
  auto r = logger::create(std::move(o));
  REQUIRE(r.has_value());
  return std::move(r).value();
}

environment env_with(std::string_view name, std::string_view value) {
  environment env;
  env.set(name, value);
  return env;
}

clock_type::time_point local_noon(int year, int month, int day) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = 12;
  tm.tm_isdst = -1;
  return clock_type::from_time_t(std::mktime(&tm));
}

}  // namespace

TEST_CASE("log levels parse and print by the config's names", "[log]") {
  for (auto l : {log_level::trace, log_level::debug, log_level::info, log_level::warn,
                 log_level::error, log_level::fatal, log_level::silent})
    CHECK(parse_log_level(to_string(l)) == l);
  CHECK(parse_log_level("WARNING") == log_level::warn);
  CHECK(parse_log_level("off") == log_level::silent);
  CHECK_FALSE(parse_log_level("loud").has_value());
  CHECK(parse_console_style("compact") == console_style::compact);
  CHECK_FALSE(parse_console_style("fancy").has_value());
}

TEST_CASE("lines below a sink's level are dropped and enabled() says so", "[log]") {
  temp_dir dir;
  auto o = file_only(dir.path / "d.log");
  o.file_level = log_level::warn;
  auto log = make(o);
  CHECK_FALSE(log->enabled(log_level::info));
  CHECK(log->enabled(log_level::warn));
  CHECK_FALSE(log->enabled(log_level::silent));
  log->debug("gateway", "one");
  log->info("gateway", "two");
  log->warn("gateway", "three");
  log->error("gateway", "four");
  auto lines = read_lines(dir.path / "d.log");
  REQUIRE(lines.size() == 2);
  CHECK(parse_line(lines[0])["message"] == json("three"));
  CHECK(parse_line(lines[1])["level"] == json("error"));

  log->set_file_level(log_level::silent);
  CHECK_FALSE(log->enabled(log_level::fatal));
  log->fatal("gateway", "five");
  CHECK(read_lines(dir.path / "d.log").size() == 2);
}

TEST_CASE("each file line is a JSON object with time, level, subsystem, message, fields", "[log]") {
  temp_dir dir;
  auto log = make(file_only(dir.path / "d.log"));
  log->sub("gateway").sub("http").info("GET /v1/models", json::object({{"status", 200}}));
  auto lines = read_lines(dir.path / "d.log");
  REQUIRE(lines.size() == 1);
  json rec = parse_line(lines[0]);
  REQUIRE(rec.is_object());
  const auto& members = rec.as_object();
  REQUIRE(members.size() == 5);
  CHECK(members[0].first == "time");
  CHECK(members[1].first == "level");
  CHECK(members[2].first == "subsystem");
  CHECK(members[3].first == "message");
  CHECK(rec["level"] == json("info"));
  CHECK(rec["subsystem"] == json("gateway/http"));
  CHECK(rec["message"] == json("GET /v1/models"));
  CHECK(rec["status"] == json(200));
  // 2025-06-01T14:03:05.123+02:00
  std::string t = rec.string_or("time");
  REQUIRE(t.size() == 29);
  CHECK(t[4] == '-');
  CHECK(t[10] == 'T');
  CHECK(t[19] == '.');
  CHECK((t[23] == '+' || t[23] == '-'));

  struct stat st {};
  REQUIRE(::stat((dir.path / "d.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("the file name carries the local date and a new day starts a new file", "[log]") {
  temp_dir dir;
  fs::path pattern = dir.path / "logs" / "durar-YYYY-MM-DD.log";
  auto day1 = local_noon(2025, 3, 9);
  auto day2 = local_noon(2025, 3, 10);
  CHECK(log_file_for(pattern, day1) == dir.path / "logs" / "durar-2025-03-09.log");
  CHECK(log_file_for(dir.path / "fixed.log", day1) == dir.path / "fixed.log");

  auto now = std::make_shared<clock_type::time_point>(day1);
  auto o = file_only(pattern);
  o.clock = [now] { return *now; };
  auto log = make(o);
  CHECK(log->file_path() == dir.path / "logs" / "durar-2025-03-09.log");
  log->info("gateway", "monday");
  *now = day2;
  log->info("gateway", "tuesday");
  log->info("gateway", "tuesday again");
  auto first = read_lines(dir.path / "logs" / "durar-2025-03-09.log");
  auto second = read_lines(dir.path / "logs" / "durar-2025-03-10.log");
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 2);
  CHECK(parse_line(first[0])["time"].as_string().substr(0, 10) == "2025-03-09");
  CHECK(parse_line(second[1])["message"] == json("tuesday again"));
  struct stat st {};
  REQUIRE(::stat((dir.path / "logs").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("a file that cannot be opened is an error naming it", "[log]") {
  temp_dir dir;
  std::ofstream(dir.path / "not-a-dir") << "x";
  auto r = logger::create(file_only(dir.path / "not-a-dir" / "d.log"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("not-a-dir") != std::string::npos);
}

TEST_CASE("registered secrets never reach the file or the console", "[log]") {
  temp_dir dir;
  captured_console console;
  auto o = file_only(dir.path / "d.log");
  o.console = console.f;
  o.color = color_mode::never;
  o.redact_patterns = false;  // registered values are masked even so
  auto log = make(o);
  log->add_secret("canary-gateway-token-0417");
  log->add_secret("tiny");  // too short to mask: would hide ordinary words
  log->info("gateway", "auth with canary-gateway-token-0417 ok, tiny",
            json::object({{"header", "x canary-gateway-token-0417"},
                          {"nested", json::array({"canary-gateway-token-0417"})}}));
  std::string file = read_all(dir.path / "d.log");
  std::string out = console.text();
  for (const auto& text : {file, out}) {
    INFO(text);
    CHECK(text.find("canary-gateway-token-0417") == std::string::npos);
    CHECK(text.find("***") != std::string::npos);
    CHECK(text.find("tiny") != std::string::npos);
  }
  CHECK(log->redact("a canary-gateway-token-0417 b") == "a *** b");
}

TEST_CASE("credential-shaped text is masked and ordinary text is kept", "[log]") {
  struct example {
    std::string in;
    std::string canary;  // must be gone
    std::string kept;    // must stay
  };
  std::vector<example> examples = {
      {"key sk-canaryOPENAIkey1234567890abcdef used", "canaryOPENAIkey", "sk-***"},
      {"anthropic sk-ant-api03-canaryANTHROPIC0123456789", "canaryANTHROPIC", "anthropic sk-***"},
      {"google AIzaSyCanaryGOOGLE_0123456789abcdefghijk", "CanaryGOOGLE", "google AIza***"},
      {"header Bearer canary.jwt.token-value here", "canary.jwt", "Bearer *** here"},
      {"Authorization: Bearer canaryAUTHvalue123", "canaryAUTH", "Authorization:"},
      {R"({"apiKey":"canary-json-key","model":"gpt"})", "canary-json-key", R"("model":"gpt")"},
      {R"({"apiKey": "canary-json-key2"})", "canary-json-key2", R"("apiKey": "***")"},
      {"url?token=canaryTOKENquery&x=1", "canaryTOKENquery", "&x=1"},
      {"OPENAI_API_KEY=canaryENVkey more", "canaryENVkey", " more"},
      {"durar gateway call --token canaryFLAG next", "canaryFLAG", " next"},
      {"x-api-key: canaryXAPI", "canaryXAPI", "x-api-key: ***"},
      {"https://api.example.com/v1?key=canaryQUERYkey", "canaryQUERYkey", "?key=***"},
      {"https://user:canaryPASS@example.com/", "canaryPASS", "example.com"},
      {"client_secret='canarySECRET'", "canarySECRET", "client_secret='***'"},
      {R"(body {\"password\":\"canaryESCAPED\"})", "canaryESCAPED", "password"},
      {"-----BEGIN RSA PRIVATE KEY-----\ncanaryPEMbody\n-----END RSA PRIVATE KEY----- after",
       "canaryPEMbody", "after"},
  };
  for (const auto& e : examples) {
    std::string out = redact_log_text(e.in);
    INFO(e.in << " -> " << out);
    CHECK(out.find(e.canary) == std::string::npos);
    CHECK(out.find(e.kept) != std::string::npos);
  }
  for (std::string plain : {"gateway listening on http://127.0.0.1:18789 (auth: token)",
                            "max_tokens=100 total_tokens=7", R"({"sessionKey":"agent:main:main"})",
                            "task-manager desk-lamp sk-short",
                            "gateway.auth.mode is token but no token is set (gateway.auth.token or "
                            "DURAR_GATEWAY_TOKEN)",
                            "GET /v1/models from 127.0.0.1"})
    CHECK(redact_log_text(plain) == plain);
}

TEST_CASE("fields under credential-like keys are masked whole", "[log]") {
  temp_dir dir;
  auto log = make(file_only(dir.path / "d.log"));
  log->info("agent", "configured",
            json::object({{"apiKey", "plainvalue-no-shape"},
                          {"nested", json::object({{"token", 42}})},
                          {"stream", true}}));
  json rec = parse_line(read_lines(dir.path / "d.log").at(0));
  CHECK(rec["apiKey"] == json("***"));
  CHECK(rec["nested"]["token"] == json("***"));
  CHECK(rec["stream"] == json(true));
}

TEST_CASE("the config's credentials are registered", "[log]") {
  temp_dir dir;
  config cfg;
  cfg.paths.state_dir = dir.path;
  cfg.gateway.auth_token = secret("canary-cfg-gateway-token");
  provider_config p;
  p.api_key = secret("canary-cfg-provider-key");
  cfg.models.providers["custom"] = p;
  cfg.env.set("OPENAI_API_KEY", "canary-env-openai-key");
  cfg.env.set("SOMETHING_API_KEYS", "canary-env-list-a1, canary-env-list-b2");
  cfg.env.set("DURAR_GATEWAY_PASSWORD", "canary-env-password");
  std::ofstream(dir.path / "gateway.token") << "canary-stored-gateway-token\n";
  cfg.document = json::object(
      {{"channels", json::object({{"telegram", json::object({{"botToken", "canary-doc-bot"}})}})}});
  auto o = logger_options_from(cfg);
  o.console = nullptr;
  o.redact_patterns = false;
  auto log = make(o);
  log->add_config_secrets(cfg);
  std::string all =
      "canary-cfg-gateway-token canary-cfg-provider-key canary-env-openai-key canary-env-list-a1 "
      "canary-env-list-b2 canary-env-password canary-doc-bot canary-stored-gateway-token";
  log->info("gateway", all);
  std::string text = read_all(log->file_path());
  INFO(text);
  CHECK(text.find("canary") == std::string::npos);
}

TEST_CASE("options follow the config's logging section", "[log]") {
  config cfg;
  cfg.paths.state_dir = "/state";
  auto o = logger_options_from(cfg);
  CHECK(o.file == fs::path("/state/logs/durar-YYYY-MM-DD.log"));
  CHECK(o.file_level == log_level::info);
  CHECK(o.console_level == log_level::info);
  CHECK(o.style == console_style::pretty);
  CHECK(o.redact_patterns);

  cfg.logging.file = "~/logs/mine.log";
  cfg.logging.level = "debug";
  cfg.logging.console_level = "warn";
  cfg.logging.console_style = "json";
  cfg.logging.redact_sensitive = false;
  cfg.env.set("HOME", "/home/u");
  o = logger_options_from(cfg);
  CHECK(o.file == fs::path("/home/u/logs/mine.log"));
  CHECK(o.file_level == log_level::debug);
  CHECK(o.console_level == log_level::warn);
  CHECK(o.style == console_style::json);
  CHECK_FALSE(o.redact_patterns);

  cfg.env.set("DURAR_LOG_LEVEL", "trace");
  o = logger_options_from(cfg);
  CHECK(o.file_level == log_level::trace);
  CHECK(o.console_level == log_level::trace);
}

TEST_CASE("console styles: pretty, compact and json", "[log]") {
  auto run = [](console_style style, color_mode color) {
    captured_console console;
    logger_options o;
    o.console = console.f;
    o.style = style;
    o.color = color;
    o.console_level = log_level::debug;
    auto log = make(o);
    log->info("gateway", "listening", json::object({{"port", 18789}}));
    log->warn("gateway/ws", "slow call");
    return console.text();
  };
  std::string pretty = run(console_style::pretty, color_mode::never);
  INFO(pretty);
  auto nl = pretty.find('\n');
  REQUIRE(nl != std::string::npos);
  std::string first = pretty.substr(0, nl);
  // "14:03:05.123 info  [gateway] listening port=18789"
  REQUIRE(first.size() > 13);
  CHECK(first[2] == ':');
  CHECK(first.substr(12) == " info  [gateway] listening port=18789");
  CHECK(pretty.find("warn  [gateway/ws] slow call\n") != std::string::npos);
  CHECK(pretty.find('\x1b') == std::string::npos);

  CHECK(run(console_style::compact, color_mode::never) ==
        "[gateway] listening port=18789\n[gateway/ws] warn: slow call\n");

  std::string js = run(console_style::json, color_mode::never);
  json rec = parse_line(js.substr(0, js.find('\n')));
  CHECK(rec["subsystem"] == json("gateway"));
  CHECK(rec["port"] == json(18789));

  std::string colored = run(console_style::pretty, color_mode::always);
  CHECK(colored.find("\x1b[") != std::string::npos);
  CHECK(colored.find("listening") != std::string::npos);
}

TEST_CASE("a console line below its level is not printed while the file keeps it", "[log]") {
  temp_dir dir;
  captured_console console;
  auto o = file_only(dir.path / "d.log");
  o.file_level = log_level::debug;
  o.console = console.f;
  o.console_level = log_level::warn;
  o.color = color_mode::never;
  auto log = make(o);
  log->debug("agent", "details");
  log->warn("agent", "careful");
  CHECK(read_lines(dir.path / "d.log").size() == 2);
  std::string out = console.text();
  CHECK(out.find("details") == std::string::npos);
  CHECK(out.find("careful") != std::string::npos);
}

TEST_CASE("format_log_record renders file lines for durar logs", "[log]") {
  json rec = json::object({{"time", "2025-06-01T14:03:05.123+02:00"},
                           {"level", "error"},
                           {"subsystem", "gateway"},
                           {"message", "bind failed"},
                           {"port", 1}});
  CHECK(format_log_record(rec, {console_style::pretty, false, true}) ==
        "2025-06-01T14:03:05.123+02:00 error [gateway] bind failed port=1");
  CHECK(format_log_record(rec, {console_style::pretty, false, false}) ==
        "14:03:05.123 error [gateway] bind failed port=1");
}

TEST_CASE("colours on a terminal unless NO_COLOR or TERM=dumb", "[log]") {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  std::string slave_name = ::ptsname(master);
  std::FILE* tty = std::fopen(slave_name.c_str(), "w");
  REQUIRE(tty != nullptr);

  auto colored = [&](environment env) {
    logger_options o;
    o.console = tty;
    o.env = std::move(env);
    auto log = make(o);
    return log->console_colored();
  };
  CHECK(colored(environment{}));
  CHECK_FALSE(colored(env_with("NO_COLOR", "1")));
  CHECK_FALSE(colored(env_with("TERM", "dumb")));
  CHECK(colored(env_with("NO_COLOR", "")));  // no-color.org: only a non-empty value

  // What reaches the terminal: escapes by default, none with NO_COLOR.
  auto written = [&](environment env) {
    logger_options o;
    o.console = tty;
    o.env = std::move(env);
    make(o)->info("gateway", "hello");
    std::string got;
    char buf[512];
    while (got.find("hello") == std::string::npos) {
      pollfd p{master, POLLIN, 0};
      REQUIRE(::poll(&p, 1, 5000) == 1);  // bounded: the line was written before this
      ssize_t n = ::read(master, buf, sizeof buf);
      REQUIRE(n > 0);
      got.append(buf, static_cast<std::size_t>(n));
    }
    while (got.find('\n') == std::string::npos) {
      pollfd p{master, POLLIN, 0};
      REQUIRE(::poll(&p, 1, 5000) == 1);
      ssize_t n = ::read(master, buf, sizeof buf);
      REQUIRE(n > 0);
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  };
  CHECK(written(environment{}).find('\x1b') != std::string::npos);
  CHECK(written(env_with("NO_COLOR", "1")).find('\x1b') == std::string::npos);
  std::fclose(tty);
  ::close(master);
}

TEST_CASE("a line sink fits gateway_options::log", "[log]") {
  temp_dir dir;
  auto log = make(file_only(dir.path / "d.log"));
  std::function<void(std::string_view)> sink = log->line_sink("gateway", log_level::warn);
  sink("port 18789 in use");
  json rec = parse_line(read_lines(dir.path / "d.log").at(0));
  CHECK(rec["level"] == json("warn"));
  CHECK(rec["subsystem"] == json("gateway"));
  CHECK(rec["message"] == json("port 18789 in use"));
}

TEST_CASE("lines from many threads stay whole", "[log]") {
  temp_dir dir;
  auto log = make(file_only(dir.path / "d.log"));
  constexpr int threads = 4, per_thread = 200;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i)
        log->info("agent", "thread " + std::to_string(t) + " line " + std::to_string(i));
    });
  for (auto& th : pool) th.join();
  auto lines = read_lines(dir.path / "d.log");
  REQUIRE(lines.size() == static_cast<std::size_t>(threads * per_thread));
  for (const auto& l : lines) REQUIRE(json::parse(l).has_value());
}
