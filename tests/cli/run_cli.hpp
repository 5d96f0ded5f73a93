// Runs the real durar binary with a controlled environment and captures what it prints.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace durar::test {

struct cli_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A private HOME under the system temp dir, removed on destruction.
class temp_home {
 public:
  temp_home();
  ~temp_home();
  temp_home(const temp_home&) = delete;
  temp_home& operator=(const temp_home&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  // Writes a file relative to HOME (creating directories) and returns its full path.
  std::string write(const std::string& relative, const std::string& content) const;
  [[nodiscard]] std::string read(const std::string& relative) const;

 private:
  std::string path_;
};

// Runs `durar args...` with exactly `env` as its environment (plus PATH). stdin is `input`
// when given (from a file), else /dev/null.
cli_result run_durar(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env,
                     const std::optional<std::string>& input = std::nullopt);

}  // namespace durar::test
