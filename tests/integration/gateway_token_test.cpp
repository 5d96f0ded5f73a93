// Auth is on by default: a loopback gateway without a configured secret makes a token once
// and keeps it in the state dir; beyond loopback it refuses instead.
#include <durar/gateway.hpp>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace durar;
using durar::test::temp_dir;

TEST_CASE("a loopback gateway without a secret makes a token once and keeps it",
          "[gateway][auth]") {
  temp_dir st;
  config cfg;
  cfg.paths.state_dir = st.path;
  asio::io_context io;
  runtime rt(io, cfg);
  gateway_options opts;
  opts.port = 0;

  auto first = gateway::create(io, rt, opts);
  REQUIRE(first);
  REQUIRE((*first)->generated_token().has_value());
  const std::string token = (*first)->generated_token()->reveal();
  CHECK(token.size() == 48);
  const auto file = st.path / "gateway.token";
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  auto second = gateway::create(io, rt, opts);
  REQUIRE(second);
  CHECK_FALSE((*second)->generated_token().has_value());  // the stored one is reused
  std::ifstream in(file);
  std::string stored;
  std::getline(in, stored);
  CHECK(stored == token);
}

TEST_CASE("auth none must be asked for, and never beyond loopback", "[gateway][auth]") {
  temp_dir st;
  config cfg;
  cfg.paths.state_dir = st.path;
  cfg.gateway.auth_mode = "none";
  asio::io_context io;
  runtime rt(io, cfg);
  gateway_options opts;
  opts.port = 0;
  auto open = gateway::create(io, rt, opts);
  REQUIRE(open);
  CHECK_FALSE((*open)->generated_token().has_value());
  CHECK_FALSE(std::filesystem::exists(st.path / "gateway.token"));

  opts.bind = "lan";
  auto refused = gateway::create(io, rt, opts);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("refusing to bind gateway to 0.0.0.0") != std::string::npos);
}
