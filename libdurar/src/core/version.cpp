#include <durar/version.hpp>

namespace durar {

std::string_view version() noexcept { return DURAR_VERSION_STRING; }

}  // namespace durar
