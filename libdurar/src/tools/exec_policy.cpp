#include "tools/exec_policy.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace durar::detail {
namespace {

// One word of a simple command as the shell would see it after quote removal, plus whether
// an unquoted or double-quoted expansion or glob could change it.
struct word {
  std::string text;
  bool dynamic = false;
};

bool is_name_char(char c, bool first) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (!first && c >= '0' && c <= '9');
}

bool is_assignment(std::string_view w) {
  auto eq = w.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  for (std::size_t i = 0; i < eq; ++i)
    if (!is_name_char(w[i], i == 0)) return false;
  return true;
}

// A small POSIX shell lexer: enough to split a line into simple commands and see their first
// words; anything it cannot vouch for makes the whole line unknown.
class lexer {
 public:
  explicit lexer(std::string_view s) : s_(s) {}

  std::optional<std::vector<std::string>> programs() {
    std::vector<std::string> out;
    std::vector<word> words;
    word current;
    bool in_word = false;
    auto end_word = [&] {
      if (in_word) words.push_back(std::move(current));
      current = word{};
      in_word = false;
    };
    auto end_command = [&]() -> bool {
      end_word();
      if (words.empty()) return true;
      const word& first = words.front();
      if (first.dynamic || is_assignment(first.text) || first.text.empty()) return false;
      out.push_back(first.text);
      words.clear();
      return true;
    };

    for (std::size_t i = 0; i < s_.size(); ++i) {
      const char c = s_[i];
      switch (c) {
        case ' ':
        case '\t':
          end_word();
          break;
        case '\n':
        case ';':
        case '&':
        case '|':
          if (!end_command()) return std::nullopt;
          if (i + 1 < s_.size() && (s_[i + 1] == c || (c == '|' && s_[i + 1] == '&'))) ++i;
          break;
        case '#':
          if (in_word) {
            current.text += c;
          } else {
            while (i + 1 < s_.size() && s_[i + 1] != '\n') ++i;  // a comment
          }
          break;
        case '\\':
          in_word = true;
          if (i + 1 < s_.size()) {
            if (s_[i + 1] != '\n') current.text += s_[i + 1];
            ++i;
          }
          break;
        case '\'': {
          in_word = true;
          auto close = s_.find('\'', i + 1);
          if (close == std::string_view::npos) return std::nullopt;
          current.text.append(s_.substr(i + 1, close - i - 1));
          i = close;
          break;
        }
        case '"': {
          in_word = true;
          std::size_t j = i + 1;
          for (; j < s_.size() && s_[j] != '"'; ++j) {
            if (s_[j] == '`') return std::nullopt;
            if (s_[j] == '$') {
              if (j + 1 < s_.size() && s_[j + 1] == '(') return std::nullopt;
              current.dynamic = true;
            }
            if (s_[j] == '\\' && j + 1 < s_.size()) {
              const char next = s_[j + 1];
              if (next == '$' || next == '`' || next == '"' || next == '\\') {
                current.text += next;
                ++j;
                continue;
              }
              if (next == '\n') {
                ++j;
                continue;
              }
            }
            current.text += s_[j];
          }
          if (j >= s_.size()) return std::nullopt;
          i = j;
          break;
        }
        case '<':
        case '>':
        case '(':
        case ')':
        case '`':
          return std::nullopt;  // redirections, subshells, command substitution
        case '$':
          if (i + 1 < s_.size() && s_[i + 1] == '(') return std::nullopt;
          in_word = true;
          current.dynamic = true;
          current.text += c;
          break;
        case '*':
        case '?':
        case '[':
        case '~':
          in_word = true;
          current.dynamic = true;
          current.text += c;
          break;
        default:
          in_word = true;
          current.text += c;
          break;
      }
    }
    if (!end_command()) return std::nullopt;
    return out;
  }

 private:
  std::string_view s_;
};

// A bare name matches a safe bin of that name (found through PATH); a path matches only in
// the trusted system directories, so ./ls or /tmp/ls never pass as ls.
bool is_safe_program(const std::string& program, const std::vector<std::string>& safe_bins) {
  std::string name = program;
  if (auto slash = program.rfind('/'); slash != std::string::npos) {
    const std::string dir = program.substr(0, slash);
    if (dir != "/bin" && dir != "/usr/bin") {
      return std::find(safe_bins.begin(), safe_bins.end(), program) != safe_bins.end();
    }
    name = program.substr(slash + 1);
  }
  return std::find(safe_bins.begin(), safe_bins.end(), name) != safe_bins.end();
}

}  // namespace

std::optional<std::vector<std::string>> command_programs(std::string_view command) {
  return lexer(command).programs();
}

exec_check check_exec_policy(const exec_options& options, std::string_view command) {
  const std::string& security = options.security;
  const std::string& ask = options.ask;
  if (security == "deny") return {exec_verdict::refuse, "exec denied: security=deny"};
  if (security != "full" && security != "allowlist")
    return {exec_verdict::refuse, fmt::format("exec denied: unknown security mode '{}'", security)};
  // An unknown ask mode errs on the side of asking.
  const bool ask_always = ask != "off" && ask != "on-miss";
  if (ask_always) return {exec_verdict::ask, "ask: always"};
  if (security == "full") return {exec_verdict::run, {}};

  std::string miss;
  if (auto programs = command_programs(command); !programs) {
    miss =
        "not in safeBins: the command uses shell features the allowlist cannot check "
        "(substitution, redirection, subshell, variable or glob in a program name, or "
        "VAR=value prefix)";
  } else if (programs->empty()) {
    miss = "not in safeBins: no program to check";
  } else {
    for (const auto& p : *programs)
      if (!is_safe_program(p, options.safe_bins)) {
        miss = fmt::format("not in safeBins: {}", p);
        break;
      }
  }
  if (miss.empty()) return {exec_verdict::run, {}};
  if (ask == "on-miss") return {exec_verdict::ask, miss};
  return {exec_verdict::refuse, fmt::format("exec denied: allowlist miss ({})", miss)};
}

}  // namespace durar::detail
