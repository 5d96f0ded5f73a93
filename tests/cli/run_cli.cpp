#include "run_cli.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace durar::test {

namespace fs = std::filesystem;

namespace {
std::string unique_dir(const std::string& stem) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return (fs::temp_directory_path() / (stem + std::to_string(::getpid()) + "-" +
                                       std::to_string(counter++) + "-" + std::to_string(rd())))
      .string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

temp_home::temp_home() : path_(unique_dir("durar-home-")) { fs::create_directories(path_); }

temp_home::~temp_home() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string temp_home::write(const std::string& relative, const std::string& content) const {
  fs::path p = fs::path(path_) / relative;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

std::string temp_home::read(const std::string& relative) const {
  return slurp((fs::path(path_) / relative).string());
}

cli_result run_durar(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env,
                     const std::optional<std::string>& input) {
  std::string dir = unique_dir("durar-cli-");
  fs::create_directories(dir);
  std::string out_path = dir + "/out", err_path = dir + "/err", in_path = "/dev/null";
  if (input) {
    in_path = dir + "/in";
    std::ofstream(in_path, std::ios::binary) << *input;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);

  std::vector<std::string> argv_s = {DURAR_CLI_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  if (env.count("PATH") == 0) env_s.push_back("PATH=/usr/bin:/bin");
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv_s[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  cli_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

}  // namespace durar::test
