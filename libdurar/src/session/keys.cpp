// Session keys: "agent:<agentId>:<rest>", with the original's normalisation of agent ids.
#include <durar/session.hpp>

#include <cctype>
#include <string>
#include <vector>

namespace durar {

namespace {

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

std::string normalize_agent_id(std::string_view id) {
  std::string s = lower_trimmed(id);
  if (s.empty()) return "main";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (id_char(c)) {
      out += c;
    } else if (out.empty() || out.back() != '-') {
      out += '-';  // a run of other characters becomes one dash
    }
  }
  std::size_t start = out.find_first_not_of('-');
  if (start == std::string::npos) return "main";
  std::size_t end = out.find_last_not_of('-');
  out = out.substr(start, end - start + 1);
  if (out.size() > 64) out.resize(64);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "main" : out;
}

std::string main_session_key(std::string_view agent_id, std::string_view main_key) {
  std::string key = lower_trimmed(main_key);
  if (key.empty()) key = "main";
  return "agent:" + normalize_agent_id(agent_id) + ":" + key;
}

std::string agent_of_session_key(std::string_view key) {
  std::string k = lower_trimmed(key);
  std::vector<std::string_view> parts;
  std::string_view rest = k;
  while (!rest.empty()) {
    auto colon = rest.find(':');
    auto part = rest.substr(0, colon);
    if (!part.empty()) parts.push_back(part);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  if (parts.size() < 3 || parts[0] != "agent") return "main";
  return normalize_agent_id(parts[1]);
}

}  // namespace durar
