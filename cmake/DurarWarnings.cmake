# Warnings for Durar's own targets only; dependencies are built by their owners.
add_library(durar_warnings INTERFACE)
target_compile_options(durar_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>
  # GCC 12 at -O3 flags std::string concatenation in libstdc++ itself (GCC bug 105651).
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
option(DURAR_WERROR "Treat warnings in Durar's own code as errors" OFF)
if(DURAR_WERROR)
  target_compile_options(durar_warnings INTERFACE $<$<CXX_COMPILER_ID:GNU,Clang>:-Werror>)
endif()
