// The library the consumer loaded is the one whose headers it compiled against.
#include <durar/version.hpp>

#include <cstdio>
#include <string_view>

int main() {
  std::printf("headers %s, library %.*s\n", DURAR_VERSION_STRING,
              static_cast<int>(durar::version().size()), durar::version().data());
  return durar::version() == std::string_view(DURAR_VERSION_STRING) ? 0 : 1;
}
