// custom_tool: a tool written by the host, which the model decides to call.
//
//   custom_tool [-m provider/model] "What is the weather in Paris?"
//
// Config and model are found as in minimal_chat. The agent validates the model's arguments
// against the schema before the handler runs, sends the handler's result back to the model
// and streams its final answer.
#include <durar/agent.hpp>
#include <durar/config.hpp>
#include <durar/router.hpp>
#include <durar/tool.hpp>

#include <asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace {

std::shared_ptr<durar::tool> weather_tool() {
  durar::tool_definition def;
  def.name = "get_weather";
  def.description = "The current weather in a city.";
  auto schema = durar::json::parse(R"({
    "type": "object",
    "properties": {"city": {"type": "string", "description": "City name"}},
    "required": ["city"],
    "additionalProperties": false
  })");
  def.parameters = schema.value();  // a literal: a parse error here is a bug, so throw
  // A sync handler runs on the agent's loop thread; a slow one would use make_async_tool.
  auto handler = [](const durar::json& args,
                    const durar::tool_context&) -> durar::result<durar::tool_result> {
    const std::string& city = args["city"].as_string();  // validated: present, a string
    std::printf("[get_weather called for %s]\n", city.c_str());
    return durar::text_result("18 degrees C and sunny in " + city + ".");
  };
  return durar::make_tool(std::move(def), handler);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = std::getenv("DURAR_MODEL") ? std::getenv("DURAR_MODEL") : "";
  std::string question;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "-m" && i + 1 < argc)
      model = argv[++i];
    else
      question = argv[i];
  }
  if (question.empty()) {
    std::fprintf(stderr, "usage: custom_tool [-m provider/model] QUESTION\n");
    return 2;
  }

  auto cfg = durar::load_config(durar::load_options{});
  if (!cfg) {
    std::fprintf(stderr, "custom_tool: %s\n", cfg.error().describe().c_str());
    return 1;
  }
  asio::io_context io;
  durar::model_router router(io, *cfg);
  durar::agent_options options;
  options.model = model;
  options.tools = {weather_tool()};
  durar::agent assistant(router, nullptr, options);

  assistant.subscribe([](const durar::agent_event& e) {
    if (e.kind == durar::agent_event_kind::message_update && e.stream != nullptr &&
        e.stream->kind == durar::event_kind::text_delta) {
      std::fwrite(e.stream->delta.data(), 1, e.stream->delta.size(), stdout);
      std::fflush(stdout);
    } else if (e.kind == durar::agent_event_kind::tool_execution_start && e.tool_call != nullptr) {
      std::printf("[tool call: %s %s]\n", e.tool_call->name.c_str(),
                  e.tool_call->arguments.dump().c_str());
    }
  });
  auto run = assistant.run(durar::user_text(question));
  std::printf("\n");
  if (!run) {
    std::fprintf(stderr, "custom_tool: %s\n", run.error().describe().c_str());
    return 1;
  }
  if (run->stop != durar::run_stop::done) {
    std::fprintf(stderr, "custom_tool: %s: %s\n", std::string(durar::to_string(run->stop)).c_str(),
                 run->failure.describe().c_str());
    return 1;
  }
  std::printf("(%d model calls, %lld tokens)\n", run->turns,
              static_cast<long long>(run->total.total_tokens));
  return 0;
}
