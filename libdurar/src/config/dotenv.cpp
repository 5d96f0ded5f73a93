// Where variables come from besides the process: .env files and the config's env{} block,
// and how ${VAR} in config strings is replaced by them.
#include "config/loading.hpp"

#include <fstream>
#include <sstream>

namespace durar::detail {
namespace {

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool portable_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

bool upper_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// Variables a config file must not inject into the process (loader and shell hijacks).
bool blocked_name(std::string_view s) {
  for (std::string_view b : {"PATH", "HOME", "SHELL", "IFS", "ENV", "BASH_ENV", "NODE_OPTIONS",
                             "PYTHONPATH", "PYTHONSTARTUP", "PERL5LIB", "PERL5OPT", "RUBYOPT"})
    if (s == b) return true;
  for (std::string_view p : {"LD_", "DYLD_", "BASH_FUNC_"})
    if (s.starts_with(p)) return true;
  return false;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
}

// A ${NAME} or $${NAME} token at `i`: {kind, name, end}; kind 0 = none, 1 = var, 2 = escaped.
struct token {
  int kind = 0;
  std::string name;
  std::size_t end = 0;
};

token token_at(std::string_view s, std::size_t i) {
  bool escaped = s.substr(i, 3) == "$${";
  std::size_t open = escaped ? i + 3 : i + 2;
  if (!escaped && s.substr(i, 2) != "${") return {};
  auto close = s.find('}', open);
  if (close == std::string_view::npos) return {};
  std::string name(s.substr(open, close - open));
  if (!upper_name(name)) return {};
  return {escaped ? 2 : 1, std::move(name), close};
}

bool has_reference(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$') continue;
    token t = token_at(s, i);
    if (t.kind == 1) return true;
    if (t.kind == 2) i = t.end;
  }
  return false;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  auto skip_blanks = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  auto skip_line = [&] {
    while (i < text.size() && text[i] != '\n') ++i;
    if (i < text.size()) ++i;
  };
  while (i < text.size()) {
    skip_blanks();
    if (text.substr(i, 7) == "export ") {
      i += 7;
      skip_blanks();
    }
    std::size_t key_start = i;
    while (i < text.size() && key_char(text[i])) ++i;
    std::string key(text.substr(key_start, i - key_start));
    skip_blanks();
    bool separator = i < text.size() && (text[i] == '=' || text[i] == ':');
    if (key.empty() || !separator) {  // comments, blank lines and garbage
      skip_line();
      continue;
    }
    ++i;
    skip_blanks();
    std::string value;
    char q = i < text.size() ? text[i] : '\0';
    std::size_t close = std::string_view::npos;
    if (q == '"' || q == '\'' || q == '`') {
      for (std::size_t j = i + 1; j < text.size(); ++j) {
        if (text[j] == '\\' && q == '"' && j + 1 < text.size()) {
          ++j;
        } else if (text[j] == q) {
          close = j;
          break;
        }
      }
    }
    if (close != std::string_view::npos) {  // quoted values may span lines
      std::string_view raw = text.substr(i + 1, close - i - 1);
      for (std::size_t j = 0; j < raw.size(); ++j) {
        if (q == '"' && raw[j] == '\\' && j + 1 < raw.size()) {
          char e = raw[++j];
          value += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
        } else {
          value += raw[j];
        }
      }
      i = close + 1;
      skip_line();
    } else {
      std::size_t eol = text.find('\n', i);
      if (eol == std::string_view::npos) eol = text.size();
      std::string_view raw = text.substr(i, eol - i);
      // A # starts a comment at the start or after white space, so URL fragments survive.
      for (std::size_t j = 0; j < raw.size(); ++j) {
        if (raw[j] == '#' && (j == 0 || raw[j - 1] == ' ' || raw[j - 1] == '\t')) {
          raw = raw.substr(0, j);
          break;
        }
      }
      value = trim(raw);
      i = eol;
      skip_line();
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

void merge_dotenv_file(const std::filesystem::path& file, environment& env) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return;
  std::ostringstream text;
  text << in.rdbuf();
  for (auto& [key, value] : parse_dotenv(text.str()))
    if (!blank(value) && !blocked_name(key)) env.set_default(key, value);
}

void apply_env_block(const json& root, environment& env) {
  const json& block = root["env"];
  if (!block.is_object()) return;
  auto add = [&](const std::string& key, const json& value) {
    // As the original: blank values and values that still hold ${...} are skipped.
    if (!value.is_string() || blank(value.as_string()) || has_reference(value.as_string())) return;
    std::string name = trim(key);
    if (!portable_name(name) || blocked_name(name)) return;
    env.set_default(name, value.as_string());
  };
  // Direct members take precedence over vars{}, as in the original.
  for (const auto& [key, value] : block.as_object())
    if (key != "vars" && key != "shellEnv") add(key, value);
  if (block["vars"].is_object())
    for (const auto& [key, value] : block["vars"].as_object()) add(key, value);
}

void substitute_env(json& v, const std::string& path, const environment& env,
                    std::vector<missing_var>& missing) {
  if (v.is_object()) {
    for (auto& [key, child] : v.as_object())
      substitute_env(child, path_key(path, key), env, missing);
  } else if (v.is_array()) {
    auto& items = v.as_array();
    for (std::size_t i = 0; i < items.size(); ++i)
      substitute_env(items[i], path_index(path, i), env, missing);
  } else if (v.is_string() && v.as_string().find('$') != std::string::npos) {
    const std::string& s = v.as_string();
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      token t = s[i] == '$' ? token_at(s, i) : token{};
      if (t.kind == 0) {
        out += s[i];
        continue;
      }
      auto value = t.kind == 1 ? env.get(t.name) : std::nullopt;
      if (t.kind == 2 || !value || value->empty()) {
        if (t.kind == 1) missing.push_back({t.name, path});
        out += "${" + t.name + "}";
      } else {
        out += *value;
      }
      i = t.end;
    }
    v = json(std::move(out));
  }
}

}  // namespace durar::detail

namespace durar {

environment read_dotenv(const std::filesystem::path& file) {
  environment env;
  detail::merge_dotenv_file(file, env);
  return env;
}

}  // namespace durar
