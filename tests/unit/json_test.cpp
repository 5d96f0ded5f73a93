#include <durar/json.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace Catch {
template <>
struct StringMaker<durar::json> {
  static std::string convert(const durar::json& v) { return v.dump(); }
};
}  // namespace Catch

using Catch::Contains;
using durar::json;
using durar::json_type;

namespace {

json parse_ok(std::string_view text) {
  auto r = json::parse(text);
  INFO("input: " << text);
  if (!r) FAIL("unexpected parse error: " << r.error().message);
  return std::move(r).value();
}

std::string parse_error(std::string_view text) {
  auto r = json::parse(text);
  INFO("input: " << text);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == durar::errc::invalid_argument);
  return r.error().message;
}

std::string nested(std::size_t depth, std::string_view inner = "") {
  return std::string(depth, '[') + std::string(inner) + std::string(depth, ']');
}

}  // namespace

TEST_CASE("json parses every value kind", "[json]") {
  json v = parse_ok(R"({"n":null,"t":true,"f":false,"i":-42,"d":2.5,"s":"hi","a":[1,2],"o":{}})");
  REQUIRE(v.is_object());
  CHECK(v["n"].is_null());
  CHECK(v["t"].as_bool());
  CHECK_FALSE(v["f"].as_bool());
  CHECK(v["i"].type() == json_type::integer);
  CHECK(v["i"].as_int() == -42);
  CHECK(v["d"].type() == json_type::real);
  CHECK(v["d"].as_double() == 2.5);
  CHECK(v["s"].as_string() == "hi");
  CHECK(v["a"].size() == 2);
  CHECK(v["a"][1].as_int() == 2);
  CHECK(v["o"].is_object());
  CHECK(v["o"].empty());
  CHECK(parse_ok(" 7 ").as_int() == 7);
  CHECK(parse_ok("\"x\"").as_string() == "x");
  CHECK(parse_ok("null").is_null());
}

TEST_CASE("compact canonical text dumps byte-identical", "[json]") {
  for (std::string_view text : {
           R"({"a":[1,-2,3.5,true,false,null,"x"],"b":{"c":"d","e":[]},"f":{}})",
           R"([18446744073709551615,-9223372036854775808,9223372036854775807,0])",
           R"([1.0,-0.0,0.1,1e+308,5e-324,1e+16,1.5e-07,123456.789])",
           R"({"z":1,"a":2,"m":{"y":[],"b":{}}})",
           R"(["\"\\\b\f\n\r\t\u0000\u001f","/","é😀"])",
           R"("plain")",
       }) {
    json v = parse_ok(text);
    CHECK(v.dump() == text);
    CHECK(parse_ok(v.dump()) == v);
    CHECK(parse_ok(v.dump(2)) == v);
  }
}

TEST_CASE("json integers keep their exact value and kind", "[json]") {
  constexpr auto i64_min = std::numeric_limits<std::int64_t>::min();
  constexpr auto i64_max = std::numeric_limits<std::int64_t>::max();
  constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();
  CHECK(parse_ok("-9223372036854775808").as_int() == i64_min);
  CHECK(parse_ok("9223372036854775807").as_int() == i64_max);
  json u = parse_ok("18446744073709551615");
  CHECK(u.type() == json_type::uinteger);
  CHECK(u.as_uint() == u64_max);
  CHECK_THROWS_AS(u.as_int(), std::logic_error);
  CHECK(json(u64_max).dump() == "18446744073709551615");
  CHECK(json(std::uint64_t{5}).type() == json_type::integer);
  CHECK_THROWS_WITH(json(-1).as_uint(), Contains("non-negative"));
  CHECK(parse_ok("-0").as_int() == 0);
}

TEST_CASE("json integers beyond 64 bits become reals", "[json]") {
  json two_64 = parse_ok("18446744073709551616");
  CHECK(two_64.type() == json_type::real);
  CHECK(two_64.as_double() == 18446744073709551616.0);
  json below = parse_ok("-9223372036854775809");
  CHECK(below.type() == json_type::real);
  CHECK(below.as_double() == -9223372036854775808.0);
  json mixed =
      parse_ok(R"({"big":[1,123456789012345678901234567890,"123456789012345678901234567890"],)"
               R"("-99999999999999999999":-99999999999999999999})");
  CHECK(mixed["big"][0].as_int() == 1);
  CHECK(mixed["big"][1].as_double() == 123456789012345678901234567890.0);
  CHECK(mixed["big"][2].as_string() == "123456789012345678901234567890");
  CHECK(mixed["-99999999999999999999"].as_double() == -1e20);
  CHECK(parse_ok(mixed.dump()) == mixed);
  CHECK_THAT(parse_error(std::string(400, '9')), Contains("number out of range"));
  // Errors elsewhere in a document with a big integer keep their original position.
  CHECK(parse_error("[123456789012345678901234567890,\n tru]") ==
        "line 2, column 2: invalid literal 'tru'");
}

TEST_CASE("json reals round-trip in shortest form and stay reals", "[json]") {
  CHECK(json(1.0).dump() == "1.0");
  CHECK(json(0.1).dump() == "0.1");
  CHECK(json(-2.0).dump() == "-2.0");
  CHECK(parse_ok(json(1.0).dump()).type() == json_type::real);
  for (double d : {0.1, 1e308, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 1e16,
                   123456789.125, -1.5e-7, 3.141592653589793}) {
    json back = parse_ok(json(d).dump());
    CHECK(back.type() == json_type::real);
    CHECK(back.as_double() == d);
  }
  json neg_zero = parse_ok("-0.0");
  CHECK(neg_zero.type() == json_type::real);
  CHECK(std::signbit(neg_zero.as_double()));
  CHECK(neg_zero.dump() == "-0.0");
  CHECK(std::signbit(parse_ok(neg_zero.dump()).as_double()));
  CHECK(parse_ok("1e-400").as_double() == 0.0);
  CHECK_THAT(parse_error("[1e400]"), Contains("line 1, column 2: number out of range"));
  CHECK_THAT(parse_error("0.5e309"), Contains("number out of range"));
  CHECK(json(std::nan("")).dump() == "null");
  CHECK(json(std::numeric_limits<double>::infinity()).dump() == "null");
  CHECK(json(-std::numeric_limits<double>::infinity()).dump() == "null");
}

TEST_CASE("json strings: escapes, surrogates and NUL", "[json]") {
  json s = parse_ok(R"("q\" b\\ s\/ \b\f\n\r\t \u0001\u001F \u00e9 \u20AC")");
  CHECK(s.as_string() == "q\" b\\ s/ \b\f\n\r\t \x01\x1f \xC3\xA9 \xE2\x82\xAC");
  CHECK(s.dump() == R"("q\" b\\ s/ \b\f\n\r\t \u0001\u001f é €")");
  json emoji = parse_ok(R"("\ud83d\ude00")");
  CHECK(emoji.as_string() == "\xF0\x9F\x98\x80");
  CHECK(emoji.dump() == "\"\xF0\x9F\x98\x80\"");
  json nul = parse_ok(R"("a\u0000b")");
  REQUIRE(nul.as_string().size() == 3);
  CHECK(nul.as_string()[1] == '\0');
  CHECK(nul.dump() == R"("a\u0000b")");
  CHECK(parse_ok(nul.dump()) == nul);
  CHECK(json(std::string("k\0v", 3)).dump() == R"("k\u0000v")");
  CHECK(json("\x7f").dump() == "\"\x7f\"");
  std::string quoted = "x=";
  durar::json_quote(quoted, "a\"b");
  CHECK(quoted == R"(x="a\"b")");
}

TEST_CASE("json rejects malformed strings with a location", "[json]") {
  CHECK(parse_error(R"(["\ud800"])") == R"(line 1, column 3: unpaired UTF-16 surrogate \uD800)");
  CHECK_THAT(parse_error(R"("\udc00")"), Contains("unpaired UTF-16 surrogate"));
  CHECK_THAT(parse_error(R"("\ud800\u0041")"), Contains("unpaired UTF-16 surrogate"));
  CHECK(parse_error("\"a\nb\"") ==
        "line 1, column 3: unescaped control character U+000A in string");
  CHECK_THAT(parse_error(std::string("\"a\0b\"", 5)), Contains("U+0000"));
  CHECK(parse_error(R"("bad \x")") == R"(line 1, column 6: invalid escape '\x' in string)");
  CHECK_THAT(parse_error(R"("\u12G4")"), Contains("4 hex digits"));
  CHECK(parse_error("[1,\n  \"open") == "line 2, column 3: unterminated string");
}

TEST_CASE("json rejects invalid UTF-8 input", "[json]") {
  CHECK(parse_error("{\"a\":\"\xFF\"}") == "line 1, column 7: invalid UTF-8 (byte 0xFF)");
  for (std::string bad : {"\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xE2\x82\"",
                          "\"\xF4\x90\x80\x80\"", "[\xC3]", "\x80"}) {
    CHECK_THAT(parse_error(bad), Contains("UTF-8"));
  }
  CHECK(parse_ok("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"").as_string().size() == 9);
}

TEST_CASE("json writes invalid UTF-8 as U+FFFD", "[json]") {
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(json(std::string("a\xFFz")).dump() == "\"a" + fffd + "z\"");
  // One U+FFFD per maximal ill-formed subpart, as Unicode recommends.
  CHECK(json(std::string("\xE2\x82")).dump() == "\"" + fffd + "\"");
  CHECK(json(std::string("\xF0\x9F\x98x")).dump() == "\"" + fffd + "x\"");
  CHECK(json(std::string("\xC0\xAF")).dump() == "\"" + fffd + fffd + "\"");
  CHECK(json(std::string("\xED\xA0\x80")).dump() == "\"" + fffd + fffd + fffd + "\"");
  json v = json::object({{std::string("k\xFE"), std::string("\x80\x80ok\xC3\xA9")}});
  std::string text = v.dump();
  json back = parse_ok(text);
  CHECK(back.as_object()[0].first == "k" + fffd);
  CHECK(back.as_object()[0].second.as_string() == fffd + fffd + "ok\xC3\xA9");
}

TEST_CASE("json nesting is bounded and never overflows the stack", "[json]") {
  CHECK_THAT(parse_error(std::string(100000, '[')), Contains("nesting deeper than 512 levels"));
  CHECK(parse_error(nested(100000)) == "line 1, column 513: nesting deeper than 512 levels");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  CHECK_THAT(parse_error(objects), Contains("nesting deeper than 512"));

  json at_limit = parse_ok(nested(json::max_depth));
  std::size_t depth = 1;
  for (const json* p = &at_limit; !p->empty(); p = &(*p)[0]) ++depth;
  CHECK(depth == json::max_depth);
  CHECK(parse_ok(nested(json::max_depth, "1")).is_array());
  CHECK_THAT(parse_error(nested(json::max_depth + 1)), Contains("nesting deeper"));
  CHECK_THAT(parse_error(nested(json::max_depth + 1, "1")), Contains("nesting deeper"));

  // A large document makes the thread's parser start over; the limit must survive that.
  std::string large = "[\"" + std::string(std::size_t{20} << 20, 'x') + "\"]";
  CHECK(parse_ok(large)[0].as_string().size() == (std::size_t{20} << 20));
  CHECK(parse_ok(nested(json::max_depth, "1")).is_array());
  CHECK_THAT(parse_error(nested(json::max_depth + 1, "1")), Contains("nesting deeper"));

  std::string obj_limit;
  for (std::size_t i = 0; i < json::max_depth; ++i) obj_limit += "{\"a\":";
  CHECK(parse_ok(obj_limit + "1" + std::string(json::max_depth, '}')).is_object());
  CHECK_THAT(parse_error("[" + obj_limit + "1" + std::string(json::max_depth, '}') + "]"),
             Contains("nesting deeper"));
}

TEST_CASE("json parse errors say what and where", "[json]") {
  CHECK(parse_error("{\n  \"a\": 1,\n  \"b\": 2 \"c\": 3\n}") ==
        "line 3, column 10: expected ',' or '}' after an object member, got '\"'");
  CHECK(parse_error("{\n  \"a\": 1,\n  \"b\": 2\n  \"c\": 3\n}") ==
        "line 4, column 3: expected ',' or '}' after an object member, got '\"'");
  CHECK(parse_error("[1 2]") ==
        "line 1, column 4: expected ',' or ']' after an array element, got '2'");
  CHECK(parse_error("[1,2,]") == "line 1, column 5: trailing comma before ']'");
  CHECK(parse_error("{\"a\":1,}") == "line 1, column 7: trailing comma before '}'");
  CHECK(parse_error("{\"a\" 1}") == "line 1, column 6: expected ':' after the object key, got '1'");
  CHECK(parse_error("{1:2}") == "line 1, column 2: expected a string key, got '1'");
  CHECK(parse_error("[tru]") == "line 1, column 2: invalid literal 'tru'");
  CHECK(parse_error("[\"\xC3\xA9\", x]") == "line 1, column 7: expected a value, got 'x'");
  CHECK(parse_error("01") == "line 1, column 1: invalid number: leading zeros are not allowed");
  CHECK(parse_error("[1.]") == "line 1, column 4: invalid number: expected a digit after '.'");
  CHECK(parse_error("-") == "line 1, column 2: invalid number: expected a digit");
  CHECK(parse_error("\r\n[1,\r\n  {") ==
        "line 3, column 4: unexpected end of input, expected a string key");
}

TEST_CASE("json rejects empty input and trailing garbage", "[json]") {
  CHECK(parse_error("") == "line 1, column 1: empty document, expected a JSON value");
  CHECK(parse_error(" \n\t ") == "line 2, column 3: empty document, expected a JSON value");
  CHECK(parse_error("[1] x") ==
        "line 1, column 5: expected end of input after the JSON value, got 'x'");
  CHECK_THAT(parse_error("{} {}"), Contains("column 4"));
  CHECK_THAT(parse_error(std::string("[1]\0", 4)), Contains("U+0000"));
  CHECK_THAT(parse_error("[1]]"), Contains("column 4"));
  CHECK_THAT(parse_error("nullx"), Contains("invalid literal 'nullx'"));
  CHECK(parse_error("[\xC2\xA0]") == "line 1, column 2: expected a value, got '\xC2\xA0' (U+00A0)");
  CHECK(parse_ok("\xEF\xBB\xBF[1]") == json::array({1}));  // a UTF-8 BOM is ignored
  CHECK(parse_error("\xEF\xBB\xBF[1,]") == "line 1, column 3: trailing comma before ']'");
}

TEST_CASE("json duplicate keys keep the last value", "[json]") {
  json v = parse_ok(R"({"a":1,"b":2,"a":3})");
  CHECK(v.dump() == R"({"a":3,"b":2})");
  std::string big = "{";
  for (int i = 0; i < 100; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  big += R"("k7":"last"})";
  json b = parse_ok(big);
  CHECK(b.size() == 100);
  CHECK(b.as_object()[7].first == "k7");
  CHECK(b["k7"].as_string() == "last");
}

TEST_CASE("json duplicate keys at the linear and hashed object sizes", "[json]") {
  // 32 members are looked up linearly, 33 through a hash index: both keep the first
  // position and the last value, whatever the values' kinds.
  for (const int members : {2, 31, 32, 33, 40}) {
    INFO("members: " << members);
    std::string text = "{";
    for (int i = 0; i < members; ++i) {
      text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    }
    text += R"("k0":{"x":[1,{"y":2}]},"":1,"":[true],"k1":null,"k0":[{"z":"last"}]})";
    json v = parse_ok(text);
    CHECK(v.size() == static_cast<std::size_t>(members) + 1);
    CHECK(v.as_object()[0].first == "k0");
    CHECK(v["k0"] == json::array({json::object({{"z", "last"}})}));
    CHECK(v.as_object()[1].first == "k1");
    CHECK(v["k1"].is_null());
    CHECK(v.as_object().back().first.empty());
    CHECK(v[""] == json::array({true}));
  }
  // Keys that differ only inside, or share length and first and last bytes.
  json same_ends = parse_ok(R"({"abc":1,"axc":2,"abc":3,"ac":4,"a":5,"ac":6,"a":7})");
  CHECK(same_ends.dump() == R"({"abc":3,"axc":2,"ac":6,"a":7})");
  // A duplicate in a nested object is its own object's business.
  json nested_dups = parse_ok(R"({"o":{"a":1,"a":2},"p":[{"a":1,"b":0,"a":{"a":3,"a":4}}]})");
  CHECK(nested_dups.dump() == R"({"o":{"a":2},"p":[{"a":{"a":4},"b":0}]})");
}

TEST_CASE("json nesting limit holds for objects, duplicates and big objects", "[json]") {
  auto objects = [](std::size_t depth, std::string_view inner) {
    std::string s;
    for (std::size_t i = 0; i < depth; ++i) s += "{\"a\":";
    return s + std::string(inner) + std::string(depth, '}');
  };
  // An empty innermost container counts as a level too.
  CHECK(parse_ok(objects(json::max_depth - 1, "{}")).is_object());
  CHECK(parse_ok(objects(json::max_depth - 1, "[]")).is_object());
  CHECK_THAT(parse_error(objects(json::max_depth, "{}")), Contains("nesting deeper than 512"));
  CHECK_THAT(parse_error(objects(json::max_depth, "[]")), Contains("nesting deeper than 512"));
  // The value that replaces a duplicate key is held to the same limit.
  CHECK(parse_ok("{\"a\":1,\"a\":" + nested(json::max_depth - 1) + "}")["a"].is_array());
  CHECK_THAT(parse_error("{\"a\":1,\"a\":" + nested(json::max_depth) + "}"),
             Contains("nesting deeper than 512"));
  // So is a member of an object big enough for the hash index, and a later sibling's.
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  CHECK(parse_ok(big + "\"k3\":" + nested(json::max_depth - 1) + "}")["k3"].is_array());
  CHECK_THAT(parse_error(big + "\"k3\":" + nested(json::max_depth) + "}"),
             Contains("nesting deeper than 512"));
  CHECK_THAT(parse_error("[[1],{\"a\":2}," + nested(json::max_depth) + ",[3]]"),
             Contains("nesting deeper than 512"));
}

TEST_CASE("json objects keep key order, set replaces in place", "[json]") {
  json v = parse_ok(R"({"z":1,"a":2,"m":3})");
  CHECK(v.dump() == R"({"z":1,"a":2,"m":3})");
  v.set("a", "two");
  v.set("b", 4);
  CHECK(v.dump() == R"({"z":1,"a":"two","m":3,"b":4})");
  CHECK(v.erase("z"));
  CHECK_FALSE(v.erase("nope"));
  CHECK(v.dump() == R"({"a":"two","m":3,"b":4})");
  v["m"] = json::array({1, "x"});
  v["new"]["nested"] = true;
  CHECK(v.dump() == R"({"a":"two","m":[1,"x"],"b":4,"new":{"nested":true}})");

  json built = json::object({{"role", "user"}, {"content", "hi"}, {"role", "tool"}});
  CHECK(built.dump() == R"({"role":"tool","content":"hi"})");
  json arr;
  arr.push_back(1);
  arr.push_back(json::object());
  CHECK(arr.dump() == "[1,{}]");
  CHECK(json::array().dump() == "[]");
}

TEST_CASE("json read access never throws, write access checks types", "[json]") {
  const json v = parse_ok(R"({"a":[10,20],"s":"x"})");
  CHECK(v["missing"].is_null());
  CHECK(v["missing"]["deeper"][3].is_null());
  CHECK(v["a"][5].is_null());
  CHECK(v["s"]["a"].is_null());
  CHECK(v[0].is_null());
  CHECK(v["a"][1].as_int() == 20);
  CHECK(v.find("a") != nullptr);
  CHECK(v.find("nope") == nullptr);
  CHECK(v["a"].find("x") == nullptr);
  CHECK(v.contains("s"));
  CHECK(json(5).size() == 0);
  CHECK(json("abc").size() == 0);

  json arr = json::array({1});
  CHECK_THROWS_WITH(arr["k"], "json: expected object, got array");
  CHECK_THROWS_AS(json(1).push_back(2), std::logic_error);
  CHECK_THROWS_AS(json("s").set("k", 1), std::logic_error);
}

TEST_CASE("json typed access of the wrong type throws logic_error", "[json]") {
  CHECK_THROWS_WITH(json(1).as_string(), "json: expected string, got integer");
  CHECK_THROWS_WITH(json(1.5).as_int(), "json: expected integer, got number");
  CHECK_THROWS_WITH(json("x").as_double(), "json: expected number, got string");
  CHECK_THROWS_WITH(json().as_bool(), "json: expected boolean, got null");
  CHECK_THROWS_WITH(json(true).as_array(), "json: expected array, got boolean");
  CHECK_THROWS_WITH(json::array().as_object(), "json: expected object, got array");
  CHECK_THROWS_AS(json::object().as_string(), std::logic_error);
  CHECK(json(3).as_double() == 3.0);
  CHECK(json(3).as_uint() == 3u);
}

TEST_CASE("json lenient getters fall back on missing or mistyped members", "[json]") {
  json v = parse_ok(R"({"s":"x","i":7,"d":1.5,"b":true,"u":18446744073709551615})");
  CHECK(v.string_or("s") == "x");
  CHECK(v.string_or("i", "fb") == "fb");
  CHECK(v.string_or("missing") == "");
  CHECK(v.int_or("i", -1) == 7);
  CHECK(v.int_or("d", -1) == -1);
  CHECK(v.int_or("u", -1) == -1);
  CHECK(v.number_or("i", 0) == 7.0);
  CHECK(v.number_or("d", 0) == 1.5);
  CHECK(v.number_or("s", 9) == 9.0);
  CHECK(v.bool_or("b", false));
  CHECK_FALSE(v.bool_or("s", false));
  CHECK(json(3).string_or("s", "fb") == "fb");
}

TEST_CASE("json equality is structural and numeric", "[json]") {
  CHECK(json(1) == json(1.0));
  CHECK(json(1.5) != json(1));
  CHECK(json(std::uint64_t{1} << 63) == json(9223372036854775808.0));
  CHECK(json(std::int64_t{9007199254740993}) != json(9007199254740992.0));
  CHECK(json(-1) != json(std::numeric_limits<std::uint64_t>::max()));
  CHECK(json() != json(false));
  CHECK(json("1") != json(1));
  CHECK(parse_ok(R"({"a":1,"b":[1,2]})") == parse_ok(R"({"b":[1,2.0],"a":1})"));
  CHECK(parse_ok(R"({"a":1})") != parse_ok(R"({"a":1,"b":2})"));
  CHECK(parse_ok("[1,2]") != parse_ok("[2,1]"));
}

TEST_CASE("json pretty printing matches JSON.stringify(v, null, 2)", "[json]") {
  json v = parse_ok(R"({"a":[1,{"b":null}],"e":{},"f":[],"s":"x"})");
  CHECK(v.dump(2) ==
        "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"e\": {},\n"
        "  \"f\": [],\n  \"s\": \"x\"\n}");
  CHECK(json::array({1, 2}).dump(0) == "[\n1,\n2\n]");
  CHECK(json(5).dump(4) == "5");
  std::string out = "prefix:";
  v["a"].dump_to(out);
  CHECK(out == R"(prefix:[1,{"b":null}])");
}

TEST_CASE("json parse survives mangled input and round-trips what it accepts", "[json]") {
  const std::string seed_doc =
      R"({"id":"x1","n":[1,-2.5e3,true,null],"s":"a\"\u00e9\ud83d\ude00","o":{"k":{}}})";
  std::mt19937 rng(12345);
  const std::string alphabet = "{}[]:,\"\\-0123456789.eE+tfnrulase \n\xC3\xA9\xFF\x01u";
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string doc = seed_doc;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % (doc.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          doc.insert(pos, 1, c);
          break;
        case 1:
          if (pos < doc.size()) doc.erase(pos, 1);
          break;
        default:
          if (pos < doc.size()) doc[pos] = c;
          break;
      }
    }
    auto r = json::parse(doc);
    if (r) {
      ++accepted;
      auto again = json::parse(r->dump());
      REQUIRE(again.has_value());
      CHECK(*again == *r);
    } else {
      CHECK(r.error().code == durar::errc::invalid_argument);
      CHECK_THAT(r.error().message, Catch::StartsWith("line "));
    }
  }
  CHECK(accepted > 0);
}

TEST_CASE("json parse is safe from many threads", "[json]") {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (std::size_t t = 0; t < ok.size(); ++t) {
    threads.emplace_back([&ok, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string doc =
            R"({"thread":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}";
        auto r = json::parse(doc);
        if (r && r->int_or("thread", -1) == static_cast<std::int64_t>(t) && r->int_or("i", -1) == i)
          ++ok[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int n : ok) CHECK(n == 200);
}

TEST_CASE("json_quote escapes a special byte at any position of a long string", "[json]") {
  // Plain ASCII is skipped a word at a time: every offset of every kind of byte must still be
  // seen, alone and next to each other, with invalid UTF-8 still written as U+FFFD.
  const std::string fffd = "\xEF\xBF\xBD";
  struct special {
    std::string raw, quoted;
  };
  const special specials[] = {{"\"", "\\\""},      {"\\", "\\\\"},
                              {"\n", "\\n"},       {std::string(1, '\0'), "\\u0000"},
                              {"\x1f", "\\u001f"}, {"\xC3\xA9", "\xC3\xA9"},
                              {"\xFF", fffd},      {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
                              {"\xE2\x82", fffd},  {"\x7f", "\x7f"}};
  for (const auto& sp : specials) {
    for (std::size_t at = 0; at <= 24; ++at) {
      for (std::size_t len : {std::size_t{8}, std::size_t{16}, std::size_t{31}}) {
        std::string raw(len, 'a');
        std::string expected = "\"" + std::string(len, 'a') + "\"";
        if (at <= len) {
          raw.insert(at, sp.raw);
          expected.insert(at + 1, sp.quoted);
        }
        std::string out;
        durar::json_quote(out, raw);
        INFO("special " << json(sp.quoted).dump() << " at " << at << " of " << len);
        CHECK(out == expected);
      }
    }
  }
}
