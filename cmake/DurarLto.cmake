# Release builds of libdurar and the programs people run (the durar command, the gateway
# example) are link-time optimised with GCC: the durar binary comes out 40% smaller, with
# about a tenth less CPU per gateway request and 1.5 MB less resident after traffic (see
# docs/performance.md). Tests and benchmarks link the same library without LTO, from the
# machine code its objects also carry, so they build as fast as before. -DDURAR_LTO=OFF turns
# it off; a parent project decides for itself.
option(DURAR_LTO "Link-time optimisation in Release builds (GCC)" ${DURAR_TOP_LEVEL})
set(DURAR_LTO_ACTIVE OFF)
if(DURAR_LTO AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND NOT DURAR_SANITIZE)
  include(CheckIPOSupported)
  check_ipo_supported(RESULT _durar_ipo OUTPUT _durar_ipo_why LANGUAGES C CXX)
  if(_durar_ipo)
    set(DURAR_LTO_ACTIVE ON)
  else()
    message(STATUS "durar: no link-time optimisation: ${_durar_ipo_why}")
  endif()
endif()

# Optimises `target` at link time in Release builds. For libdurar itself the objects keep
# machine code beside GCC's bytecode (-ffat-lto-objects), so that anything linking it without
# LTO (the tests, a host with another compiler, the installed archive) still can.
function(durar_link_time_optimise target)
  if(NOT DURAR_LTO_ACTIVE)
    return()
  endif()
  set_property(TARGET ${target} PROPERTY INTERPROCEDURAL_OPTIMIZATION_RELEASE ON)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    target_compile_options(${target} PRIVATE "$<$<CONFIG:Release>:-ffat-lto-objects>")
  else()
    # GCC 12 warns at link time about std::string concatenations it inlines across files
    # (-Wstringop-overflow, GCC bug 105329): a false positive, and fatal under DURAR_WERROR.
    target_link_options(${target} PRIVATE "$<$<CONFIG:Release>:-Wno-stringop-overflow>")
  endif()
endfunction()
