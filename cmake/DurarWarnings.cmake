# Warnings for Durar's own targets only; dependencies are built by their owners.
add_library(durar_warnings INTERFACE)
target_compile_options(durar_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>)
