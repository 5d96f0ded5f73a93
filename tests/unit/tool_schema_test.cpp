#include <durar/tool.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

using Catch::Contains;
using durar::json;
using durar::validate_arguments;

namespace {

json schema_of(std::string_view text) {
  auto r = json::parse(text);
  if (!r) throw std::invalid_argument(r.error().message);
  return std::move(r).value();
}

std::string problems(const json& schema, const json& args) {
  auto r = validate_arguments(schema, args);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == durar::errc::invalid_argument);
  return r.error().message;
}

std::string text_of(const durar::tool_result& r) {
  REQUIRE(r.content.size() == 1);
  return std::get<durar::text_block>(r.content[0]).text;
}

const json read_schema = schema_of(R"({
  "type": "object",
  "properties": {
    "path": {"type": "string", "minLength": 1},
    "offset": {"type": "integer", "minimum": 1},
    "limit": {"type": "number", "maximum": 100}
  },
  "required": ["path"],
  "additionalProperties": false
})");

}  // namespace

TEST_CASE("validate_arguments accepts arguments matching the schema", "[tool_schema]") {
  CHECK(validate_arguments(read_schema, json::object({{"path", "a.txt"}})).has_value());
  CHECK(
      validate_arguments(read_schema, json::object({{"path", "a"}, {"offset", 2}, {"limit", 1.5}}))
          .has_value());
  // A whole real is an integer, as JSON schema says.
  CHECK(
      validate_arguments(read_schema, json::object({{"path", "a"}, {"offset", 3.0}})).has_value());
}

TEST_CASE("validate_arguments names every problem with its path", "[tool_schema]") {
  auto msg = problems(read_schema, json::object({{"offset", "1"}, {"limit", 500}, {"pth", "x"}}));
  CHECK_THAT(msg, Contains("/path: missing required property"));
  CHECK_THAT(msg, Contains("/offset: expected integer, got string"));
  CHECK_THAT(msg, Contains("/limit: must be <= 100, got 500"));
  CHECK_THAT(msg, Contains("/pth: unknown property (did you mean \"path\"?)"));

  CHECK_THAT(problems(read_schema, json("a.txt")), Contains("(root): expected object, got string"));
  CHECK_THAT(problems(read_schema, json::object({{"path", ""}})),
             Contains("/path: must be at least 1 characters long, got 0"));
  CHECK_THAT(problems(read_schema, json::object({{"path", "a"}, {"offset", 1.5}})),
             Contains("/offset: expected integer, got number"));
  CHECK_THAT(problems(read_schema, json::object({{"path", "a"}, {"offset", 0}})),
             Contains("/offset: must be >= 1, got 0"));
}

TEST_CASE("validate_arguments checks nested arrays and objects", "[tool_schema]") {
  json schema = schema_of(R"({
    "type": "object",
    "properties": {
      "items": {
        "type": "array", "minItems": 1, "maxItems": 3,
        "items": {"type": "object", "properties": {"name": {"type": "string"}},
                  "required": ["name"]}
      },
      "a/b": {"type": "boolean"}
    }
  })");
  auto msg = problems(
      schema, json::object({{"items", json::array({json::object({{"name", 3}}), json::object()})},
                            {"a/b", 1}}));
  CHECK_THAT(msg, Contains("/items/0/name: expected string, got integer"));
  CHECK_THAT(msg, Contains("/items/1/name: missing required property"));
  CHECK_THAT(msg, Contains("/a~1b: expected boolean, got integer"));
  CHECK_THAT(problems(schema, json::object({{"items", json::array()}})),
             Contains("/items: must have at least 1 items, got 0"));
  CHECK_THAT(
      problems(schema, json::object({{"items", json::array({json::object({{"name", "a"}}),
                                                            json::object({{"name", "a"}}),
                                                            json::object({{"name", "a"}}),
                                                            json::object({{"name", "a"}})})}})),
      Contains("/items: must have at most 3 items, got 4"));
}

TEST_CASE("validate_arguments handles unions, enum, const and nullable", "[tool_schema]") {
  json schema = schema_of(R"({
    "type": "object",
    "properties": {
      "mode": {"type": "string", "enum": ["fast", "slow"]},
      "kind": {"anyOf": [{"const": "a"}, {"const": "b"}]},
      "either": {"type": ["string", "integer"]},
      "maybe": {"type": "string", "nullable": true},
      "one": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
      "shape": {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "array"}]},
      "fixed": {"const": 7}
    }
  })");
  CHECK(validate_arguments(schema, json::object({{"mode", "fast"},
                                                 {"kind", "b"},
                                                 {"either", 3},
                                                 {"maybe", nullptr},
                                                 {"one", 1.5},
                                                 {"shape", "ab"},
                                                 {"fixed", 7}}))
            .has_value());
  CHECK_THAT(problems(schema, json::object({{"mode", "medium"}})),
             Contains("/mode: expected one of \"fast\", \"slow\", got \"medium\""));
  CHECK_THAT(problems(schema, json::object({{"kind", "c"}})),
             Contains("/kind: expected one of \"a\", \"b\", got \"c\""));
  CHECK_THAT(problems(schema, json::object({{"either", true}})),
             Contains("/either: expected string or integer, got boolean"));
  CHECK_THAT(problems(schema, json::object({{"one", 2}})),
             Contains("/one: matches 2 of the oneOf alternatives, expected exactly one"));
  auto shape = problems(schema, json::object({{"shape", "abc"}}));
  CHECK_THAT(shape, Contains("/shape: does not match any allowed alternative"));
  CHECK_THAT(shape, Contains("option 1: must be at most 2 characters long, got 3"));
  CHECK_THAT(shape, Contains("option 2: expected array, got string"));
  CHECK_THAT(problems(schema, json::object({{"fixed", 8}})), Contains("/fixed: expected 7, got 8"));
  // Without nullable, null is a type mismatch like any other.
  CHECK_THAT(problems(schema, json::object({{"mode", nullptr}})),
             Contains("/mode: expected string, got null"));
}

TEST_CASE("validate_arguments counts string length in characters", "[tool_schema]") {
  json schema = schema_of(R"({"type": "string", "maxLength": 2})");
  CHECK(validate_arguments(schema, json("\xC3\xA9\xC3\xA9")).has_value());  // "éé"
  CHECK_FALSE(validate_arguments(schema, json("abc")).has_value());
}

TEST_CASE("validate_arguments ignores unknown keywords and checks extra-property schemas",
          "[tool_schema]") {
  json schema = schema_of(R"({
    "type": "object", "$schema": "x", "pattern": "[", "description": "d",
    "additionalProperties": {"type": "integer"}
  })");
  CHECK(validate_arguments(schema, json::object({{"n", 1}})).has_value());
  CHECK_THAT(problems(schema, json::object({{"n", "x"}})), Contains("/n: expected integer"));
  CHECK(validate_arguments(json(true), json::object({{"n", 1}})).has_value());
  CHECK_THAT(problems(json(false), json(1)), Contains("(root): no value is allowed here"));
}

TEST_CASE("validate_arguments bounds schema depth and the problem list", "[tool_schema]") {
  json schema = json::object({{"type", "array"}});
  json value = json::array();
  for (int i = 0; i < 200; ++i) {
    schema = json::object({{"type", "array"}, {"items", schema}});
    value = json::array({value});
  }
  CHECK_THAT(problems(schema, value), Contains("schema nests deeper than"));

  json many = json::array();
  for (int i = 0; i < 100; ++i) many.push_back(i);
  auto msg = problems(json::object({{"items", json::object({{"type", "string"}})}}), many);
  CHECK_THAT(msg, Contains("/0: expected string, got integer"));
  CHECK_THAT(msg, Contains("more problems"));
}

TEST_CASE("make_tool turns returned errors and exceptions into error results", "[tool]") {
  asio::io_context io;
  durar::tool_context ctx;
  ctx.executor = io.get_executor();
  durar::tool_definition def{"t", "test", json::object()};

  auto ok = durar::make_tool(def, [](const json& args, const durar::tool_context&) {
    return durar::result<durar::tool_result>(durar::text_result("got " + args["x"].dump()));
  });
  auto failing = durar::make_tool(def, [](const json&, const durar::tool_context&) {
    return durar::result<durar::tool_result>(durar::fail(durar::errc::not_found, "no such file"));
  });
  auto throwing = durar::make_tool(
      def,
      [](const json&, const durar::tool_context&) -> durar::result<durar::tool_result> {
        throw std::runtime_error("boom");
      },
      true);
  CHECK(throwing->sequential());
  CHECK_FALSE(ok->sequential());
  CHECK(ok->definition().name == "t");

  int calls = 0;
  durar::tool_result got;
  auto capture = [&](durar::tool_result r) {
    ++calls;
    got = std::move(r);
  };
  ok->async_run(json::object({{"x", 1}}), ctx, capture);
  CHECK(calls == 1);
  CHECK_FALSE(got.is_error);
  CHECK(text_of(got) == "got 1");

  failing->async_run(json::object(), ctx, capture);
  CHECK(calls == 2);
  CHECK(got.is_error);
  CHECK(text_of(got) == "no such file");

  throwing->async_run(json::object(), ctx, capture);
  CHECK(calls == 3);
  CHECK(got.is_error);
  CHECK(text_of(got) == "boom");
}

TEST_CASE("make_async_tool finishes once even when the handler throws after posting", "[tool]") {
  asio::io_context io;
  durar::tool_context ctx;
  ctx.executor = io.get_executor();
  durar::tool_definition def{"a", "async", json::object()};

  auto later =
      durar::make_async_tool(def, [](const json&, durar::tool_context c, durar::tool_done done) {
        asio::post(c.executor, [done] { done(durar::text_result("later")); });
        throw std::runtime_error("thrown after handing done on");
      });
  int calls = 0;
  durar::tool_result got;
  later->async_run(json::object(), ctx, [&](durar::tool_result r) {
    ++calls;
    got = std::move(r);
  });
  io.run();
  CHECK(calls == 1);
  CHECK(got.is_error);
  CHECK(text_of(got) == "thrown after handing done on");

  auto posted =
      durar::make_async_tool(def, [](const json&, durar::tool_context c, durar::tool_done done) {
        asio::post(c.executor, [done] { done(durar::text_result("later")); });
      });
  calls = 0;
  posted->async_run(json::object(), ctx, [&](durar::tool_result r) {
    ++calls;
    got = std::move(r);
  });
  CHECK(calls == 0);
  io.restart();
  io.run();
  CHECK(calls == 1);
  CHECK_FALSE(got.is_error);
  CHECK(text_of(got) == "later");

  CHECK(durar::error_result("x", json::object({{"k", 1}})).details["k"].as_int() == 1);
}
