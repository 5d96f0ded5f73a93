// Writes a transcript with Durar's session store, for the original's SessionManager to read
// (tests/data/sessions/check_durar_transcript.mjs). Prints the transcript's path.
#include <durar/session.hpp>

#include <cstdio>
#include <filesystem>

using namespace durar;

namespace {

assistant_message assistant(std::vector<content_block> content, stop_reason stop) {
  assistant_message a;
  a.content = std::move(content);
  a.api = "anthropic-messages";
  a.provider = "anthropic";
  a.model = "claude-sonnet-4-6";
  a.usage.input = 1200;
  a.usage.output = 40;
  a.usage.total_tokens = 1240;
  a.usage.cost.total = 0.0042;
  a.stop = stop;
  a.timestamp = now_ms();
  return a;
}

int run(const std::filesystem::path& state) {
  session_store_options o;
  o.cwd = "/srv/project";
  o.policy.reset_mode = "idle";
  session_store store(state, "main", o);
  auto opened = store.open("agent:main:main");
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().describe().c_str());
    return 1;
  }
  session& s = **opened;
  bool ok = true;
  ok = ok && s.append_model_change("anthropic", "claude-sonnet-4-6");
  ok = ok && s.append_thinking_level("low");
  ok = ok && s.append(user_text("List the files."));
  ok = ok && s.append(assistant(
                 {thinking_block{"Run ls.", "sig-1", false},
                  tool_call_block{"toolu_01", "exec", json::object({{"command", "ls"}}), {}}},
                 stop_reason::tool_use));
  tool_result_message r;
  r.tool_call_id = "toolu_01";
  r.tool_name = "exec";
  r.content.emplace_back(text_block{"README.md\nsrc\n", {}});
  r.details = json::object({{"exitCode", 0}});
  r.timestamp = now_ms();
  ok = ok && s.append(r);
  ok = ok && s.append(assistant({text_block{"README.md and src/.", {}}}, stop_reason::stop));
  auto kept = s.append(user_text("Summarise README.md — لخّص"));
  ok = ok && kept;
  ok = ok && s.append(assistant({text_block{"ملخص.", {}}}, stop_reason::stop));
  ok = ok && kept &&
       s.append_compaction(
           {"Listed /srv/project.", *kept, 2500,
            json::object({{"readFiles", json::array()}, {"modifiedFiles", json::array()}})});
  ok = ok && s.append_model_change("openai", "gpt-5.4");
  ok = ok && s.append_custom("durar.test", json::object({{"n", 1}}));
  ok = ok && s.append_entry("custom_message", json::object({{"customType", "reminder"},
                                                            {"content", "Deadline: Friday."},
                                                            {"display", true}}));
  ok = ok && s.append(user_text("Thanks!"));
  if (!ok) {
    std::fprintf(stderr, "appending failed\n");
    return 1;
  }
  std::printf("%s\n", s.path().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: durar_session_writer STATE_DIR\n");
    return 2;
  }
  return run(argv[1]);
}
