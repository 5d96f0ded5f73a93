// The tool list a model call carries: agents with the same tool objects share one list, so a
// transport renders the schemas once and knows them again by identity; other tools, or a
// caller's own client tools, get lists of their own. Seen from a host transport, over a real
// socket to a fake vendor.
#include <durar/router.hpp>

#include "agent_fixture.hpp"
#include "host_transport.hpp"

using namespace agent_test;

namespace {

// Answers "ok" in plain text, and keeps the tools each call carried.
struct recording_transport : transport {
  std::shared_ptr<std::vector<tool_list>> seen = std::make_shared<std::vector<tool_list>>();

  std::string_view api() const noexcept override { return "recording"; }
  result<http_request> build_request(const call_spec& call) const override {
    seen->push_back(call.conv.tools);
    http_request r;
    r.url = call.provider.base_url + "/answer";
    r.body = "ping";
    return r;
  }
  std::unique_ptr<stream_decoder> make_decoder(const call_spec&,
                                               stream_builder& out) const override {
    return std::make_unique<durar::test::text_decoder>(out);
  }
};

struct setup {
  fake_vendor_server server;
  asio::io_context io;
  config cfg;
  model_router router{io, cfg};
  std::shared_ptr<recording_transport> wire = std::make_shared<recording_transport>();

  setup() {
    router.add_transport("recording", wire);
    REQUIRE(
        router.add_provider(durar::test::toy_provider("recording", server.base_url())).has_value());
  }

  // One turn of a new agent with these tools; the list its model call carried.
  tool_list turn(const std::vector<std::shared_ptr<tool>>& tools,
                 std::vector<tool_definition> client_tools = {}) {
    fake_response plain;
    plain.headers = {{"Content-Type", "text/plain"}};
    plain.body = "ok";
    server.enqueue(plain);
    agent_options o;
    o.model = "toy/t1";
    o.tools = tools;
    o.client_tools = std::move(client_tools);
    agent a(router, nullptr, std::move(o));
    auto r = a.run(user_text("hi"));
    REQUIRE(r.has_value());
    REQUIRE_FALSE(wire->seen->empty());
    return wire->seen->back();
  }
};

std::shared_ptr<tool> named(std::string name) {
  return make_tool(simple_definition(std::move(name)),
                   [](const json&, const tool_context&) -> result<tool_result> { return {}; });
}

}  // namespace

TEST_CASE("agents with the same tool objects share one tool list", "[agent][tools]") {
  setup s;
  std::vector<std::shared_ptr<tool>> tools = {named("read"), named("write")};

  tool_list first = s.turn(tools);
  REQUIRE(first.size() == 2);
  CHECK(first[0].name == "read");
  CHECK(first[1].name == "write");
  tool_list second = s.turn(tools);
  CHECK(second.shares(first));  // no copy of the schemas, and known to the transport

  // Other tool objects, even with the same definitions, are another list.
  tool_list others = s.turn({named("read"), named("write")});
  CHECK_FALSE(others.shares(first));
  CHECK(others.size() == 2);
  // So is a subset of the same objects.
  CHECK_FALSE(s.turn({tools[0]}).shares(first));

  // A caller's own tools come after the agent's, in a list of that agent's own.
  tool_list with_client = s.turn(tools, {weather_definition()});
  CHECK_FALSE(with_client.shares(first));
  REQUIRE(with_client.size() == 3);
  CHECK(with_client[2].name == "get_weather");
  CHECK(s.turn(tools).shares(first));  // the shared list is still the one
}

TEST_CASE("a tool list made before a tool object died is not given to a new one",
          "[agent][tools]") {
  setup s;
  tool_list first;
  {
    std::vector<std::shared_ptr<tool>> tools = {named("read")};
    first = s.turn(tools);
  }
  // The old object is gone; a new tool, maybe at the same address, gets its own list.
  std::vector<std::shared_ptr<tool>> fresh = {named("edit")};
  tool_list next = s.turn(fresh);
  CHECK_FALSE(next.shares(first));
  REQUIRE(next.size() == 1);
  CHECK(next[0].name == "edit");
}
