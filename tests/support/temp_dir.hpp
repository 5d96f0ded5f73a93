// A scratch directory for one test: a fresh, empty dir under the system temp dir, removed
// with everything in it when the test ends, whether it passed or not.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace durar::test {

class temp_dir {
 public:
  temp_dir() : path(make()) {}
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);  // best effort: a destructor must not throw
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  // Writes `text` to `relative` inside the dir, creating its parent dirs; returns the path.
  std::filesystem::path write(const std::filesystem::path& relative, std::string_view text) const {
    auto file = path / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

  const std::filesystem::path path;

 private:
  static std::filesystem::path make() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    const auto base = std::filesystem::temp_directory_path();
    // create_directory is false when the name is taken: never share a dir with a stranger.
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto candidate = base / ("durar-test-" + std::to_string(::getpid()) + "-" +
                               std::to_string(counter++) + "-" + std::to_string(rd()));
      if (std::filesystem::create_directory(candidate)) return candidate;
    }
    throw std::runtime_error("temp_dir: no free name under " + base.string());
  }
};

}  // namespace durar::test
