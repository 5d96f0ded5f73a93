// Configuration: where it lives, how it loads, what it says.
//
// The native format is YAML (~/.durar/durar.yaml). JSON and JSON5 (the original's
// openclaw.json) load unchanged. Strings may use ${VAR}. Validation is strict: an unknown
// key is an error naming the key, its file:line and the nearest known key; keys the
// original accepts but Durar does not implement yet are warnings. Loading never writes.
#pragma once

#include <durar/environment.hpp>
#include <durar/export.hpp>
#include <durar/json.hpp>
#include <durar/result.hpp>
#include <durar/secret.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace durar {

// ---- where things are ----------------------------------------------------------------

struct path_options {
  std::optional<std::filesystem::path> config_path;  // --config
  std::string profile;                               // --profile NAME
  bool dev = false;                                  // --dev
};

struct config_paths {
  std::filesystem::path config_file;  // resolved, may not exist yet
  std::filesystem::path state_dir;
  std::string profile;               // "" for the default profile, "dev" for --dev
  int default_gateway_port = 18789;  // 19001 under --dev
  std::string config_source;  // "--config", "DURAR_CONFIG_PATH", "OPENCLAW_CONFIG_PATH", "default"
};

// Precedence: --config > DURAR_CONFIG_PATH (or OPENCLAW_CONFIG_PATH) > <state>/durar.yaml,
// where state is DURAR_STATE_DIR (or OPENCLAW_STATE_DIR) > ~/.durar-<profile> > ~/.durar.
// When no durar.yaml exists, an existing durar.json, durar.json5 or openclaw.json in the
// state dir is used instead. Fails (invalid_argument) only when HOME is unknown.
DURAR_API result<config_paths> resolve_paths(const path_options& opts, const environment& env);

// ---- what it says --------------------------------------------------------------------

struct model_cost {
  double input = 0, output = 0, cache_read = 0, cache_write = 0;  // USD per 1M tokens
};

struct model_config {
  std::string id;
  std::string name;
  std::optional<bool> reasoning;
  std::vector<std::string> input;  // "text", "image"
  std::optional<model_cost> cost;
  std::optional<std::int64_t> context_window;
  std::optional<std::int64_t> context_tokens;
  std::optional<std::int64_t> max_tokens;
  json compat;  // vendor quirks, passed through to the transport
};

struct provider_config {
  std::string base_url;
  std::optional<secret> api_key;  // after ${VAR} substitution
  std::string api;                // "" when omitted
  std::map<std::string, std::string> headers;
  std::string auth_header;
  std::optional<double> timeout_seconds;
  std::vector<model_config> models;
};

struct model_choice {
  std::string primary;  // "provider/model" or an alias; "" when unset
  std::vector<std::string> fallbacks;
};

struct model_options {
  std::string alias;
  json params;
};

// Which tools an agent may use: `deny` wins over `allow`; an empty `allow` allows all.
// Entries are tool names or groups ("group:fs", "group:runtime", "group:web",
// "group:sessions"); "*" matches every tool.
struct tool_policy {
  std::vector<std::string> allow;
  std::vector<std::string> deny;
};

struct agent_config {
  std::string id;
  std::optional<model_choice> model;
  std::string workspace;
  json tools;
  tool_policy tool_access;  // tools.allow / tools.deny of this agent
  std::string name;         // for people; "" when unset
  bool is_default = false;  // the original's `default: true`
};

// agents.defaults.compaction: when and how much history is summarised.
struct compaction_config {
  std::string mode = "default";                // default | safeguard
  std::optional<std::int64_t> reserve_tokens;  // headroom kept for the reply
  std::int64_t reserve_tokens_floor = 20000;   // reserve_tokens never below this (0: no floor)
  std::int64_t keep_recent_tokens = 20000;     // recent history kept verbatim
};

struct agents_config {
  model_choice model;
  std::map<std::string, model_options> models;  // key "provider/model": catalog view and allowlist
  std::string workspace;
  std::string thinking_default;
  std::optional<std::int64_t> context_tokens;
  compaction_config compaction;
  std::string user_timezone;                 // IANA name; "" = the host's
  std::int64_t bootstrap_max_chars = 12000;  // per workspace file in the system prompt
  std::int64_t bootstrap_total_max_chars = 60000;
  std::optional<std::int64_t> timeout_seconds;  // a whole agent run
  std::vector<agent_config> list;
};

// session.maintenance.*: bounds on the session index, applied when it is written. Entries
// not updated within `prune_after` are removed, then the most recently updated `max_entries`
// are kept; a removed entry's transcript is archived as <file>.deleted.<time>. Archives
// older than `prune_after` (deleted) and `reset_archive_retention` (reset) are removed.
// With `max_disk_bytes`, a sessions folder grown past it is brought back under
// `high_water_bytes`: archives and unreferenced files first, then the oldest entries.
struct session_maintenance {
  std::string mode = "enforce";  // enforce | warn (nothing is removed unless asked)
  std::chrono::milliseconds prune_after = std::chrono::hours(24 * 30);  // pruneAfter / pruneDays
  std::int64_t max_entries = 500;
  // resetArchiveRetention; nullopt (`false` in the config) keeps reset archives for ever.
  std::optional<std::chrono::milliseconds> reset_archive_retention = std::chrono::hours(24 * 30);
  // maxDiskBytes; nullopt: no disk budget.
  std::optional<std::int64_t> max_disk_bytes;
  // highWaterBytes, capped at max_disk_bytes; nullopt: 80% of max_disk_bytes.
  std::optional<std::int64_t> high_water_bytes;
};

// session.*: keys and when a key's conversation starts afresh.
struct session_config {
  std::string main_key = "main";
  std::string reset_mode = "daily";          // daily | idle
  int reset_at_hour = 4;                     // local hour, daily mode
  std::optional<std::int64_t> idle_minutes;  // idle mode, or both when set with daily
  session_maintenance maintenance;
};

// tools.*: the global tool policy and the settings of built-in tools.
struct tools_config {
  tool_policy access;                       // tools.allow / tools.deny
  bool fs_workspace_only = false;           // tools.fs.workspaceOnly
  std::string exec_security = "full";       // deny | allowlist | full
  std::string exec_ask = "off";             // off | on-miss | always
  std::vector<std::string> exec_safe_bins;  // allowlist mode: commands that run unasked
  std::int64_t exec_timeout_sec = 1800;
  std::int64_t exec_background_ms = 10000;  // runs longer than this move to the background
  bool web_fetch_enabled = true;
  std::int64_t web_fetch_max_chars = 50000;
  bool web_fetch_allow_private = false;  // loopback and private addresses
};

struct models_config {
  std::string mode = "merge";  // merge | replace
  std::map<std::string, provider_config> providers;
};

struct gateway_config {
  std::optional<int> port;
  std::string bind = "loopback";  // loopback | lan | tailnet | auto | custom
  std::string custom_bind_host;
  std::string auth_mode;  // token | password | none | trusted-proxy; "" = default
  std::optional<secret> auth_token;
  std::optional<secret> auth_password;
  std::string reload_mode;  // off | restart | hot | hybrid; "" = default
};

struct logging_config {
  std::string level = "info";
  std::string file;
  std::string console_level;
  std::string console_style;
  bool redact_sensitive = true;
};

struct config_issue {
  enum class severity { error, warning };
  severity level = severity::error;
  std::string path;  // key path, e.g. agents.defaults.model.primary
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string message;  // what is wrong and, where one exists, "did you mean ..."

  // "file:line:column: error: path: message"
  [[nodiscard]] DURAR_API std::string describe() const;
};

struct config {
  config_paths paths;
  bool file_exists = false;
  json document;    // the file's content after ${VAR} substitution
  environment env;  // process > ./.env > <state>/.env > env{}
  agents_config agents;
  models_config models;
  session_config session;
  tools_config tools;
  gateway_config gateway;
  logging_config logging;
  std::vector<config_issue> warnings;
};

struct config_check {
  std::optional<config> value;       // set when there are no errors
  std::vector<config_issue> issues;  // errors and warnings, in file order
  [[nodiscard]] bool ok() const noexcept { return value.has_value(); }
};

struct load_options {
  path_options paths;
  std::optional<environment> env;     // default: environment::from_process()
  std::filesystem::path working_dir;  // where ./.env is looked up; default: current dir
};

// Loads and validates. A missing file is an empty config, not an error.
DURAR_API config_check check_config(const load_options& opts);
// What check_config() would give for an empty file at the same place: the same paths and
// environment (process or opts.env, then ./.env, then <state>/.env), every setting at its
// default. For commands that need only the state dir when the config file has errors.
DURAR_API result<config> default_config(const load_options& opts);
// The variables a .env file sets, read as config loading reads ./.env and <state>/.env
// (KEY=VALUE lines, export prefix, quotes, # comments; the first of repeated names wins;
// blank values and names such as PATH, HOME and LD_* left out). A missing file sets none.
DURAR_API environment read_dotenv(const std::filesystem::path& file);
// check_config() as a result: the error lists every problem, one per line.
DURAR_API result<config> load_config(const load_options& opts);
// Parses and validates text in memory; `file` names it in messages and picks the format
// by extension (.yaml/.yml, .json, .json5; anything else is tried as YAML).
DURAR_API config_check check_config_text(std::string_view text, const std::string& file,
                                         const environment& env);

// ---- editing -------------------------------------------------------------------------

// A key path: dots between keys, [N] for array items, ["..."] for keys holding dots,
// e.g. agents.defaults.models["openai/gpt-5.4"].alias. Array items come back as "[N]"
// segments, keys as themselves: {"agents", "list", "[0]", "id"}.
DURAR_API result<std::vector<std::string>> parse_key_path(std::string_view path);

// The value at `path` in the raw file (before ${VAR} substitution), secrets included:
// callers that print it redact with redact_secrets().
DURAR_API result<json> config_get(const std::filesystem::path& file, std::string_view path);

// Sets `path` to `value` in the file, creating it (mode 0600) when missing. The new text
// must validate before it replaces the old one (atomically, via a temporary file); YAML
// and JSON5 comments and layout outside the edited value are kept. `value` is parsed as
// JSON when it parses, else taken as a string.
DURAR_API result<void> config_set(const std::filesystem::path& file, std::string_view path,
                                  std::string_view value);
DURAR_API result<void> config_unset(const std::filesystem::path& file, std::string_view path);
// As above; `notes` receives warnings about the edit: the new file's warnings under `path`
// (e.g. a key Durar does not implement yet) and, when the value could not be edited in place
// (e.g. inside unusual YAML), that the whole file was rewritten without its comments.
DURAR_API result<void> config_set(const std::filesystem::path& file, std::string_view path,
                                  std::string_view value, std::vector<config_issue>& notes);
DURAR_API result<void> config_unset(const std::filesystem::path& file, std::string_view path,
                                    std::vector<config_issue>& notes);

// Writes `text` as the config file `file`: validated first (nothing is written when it has
// errors), then atomically replaced; a new file gets mode 0600.
DURAR_API result<void> config_write(const std::filesystem::path& file, std::string_view text);

// Converts an openclaw.json / JSON5 file to Durar's YAML (validated first).
DURAR_API result<std::string> config_to_yaml(const std::filesystem::path& source);

// A copy of `doc` with apiKey, token, password and similar values replaced by "***".
DURAR_API json redact_secrets(const json& doc);
// The same for `value` as found at key `path` (what config_get returned): a secret's own key
// is on the path, not in the value, so `gateway.auth.token` alone prints as "***".
DURAR_API json redact_secrets(const json& value, std::string_view path);

}  // namespace durar
