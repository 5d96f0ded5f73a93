# Install rules: the public headers, libdurar (static or shared, per BUILD_SHARED_LIBS), the
# CMake package (durar::durar, plus durar::durar_c when bindings/c exports it into the same
# set) and durar.pc. Included by the top CMakeLists once every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# DURAR_INSTALL (top CMakeLists) is on when Durar is the top-level project. A parent that
# installs a library linking durar::durar turns it on so its own export set can name durar.

# A sanitized libdurar needs the sanitizer runtime in every program that links it (a static
# archive has unresolved __asan_* symbols; a shared one must not load the runtime late).
if(DURAR_SANITIZE)
  set_property(TARGET durar APPEND PROPERTY INTERFACE_LINK_OPTIONS
    $<INSTALL_INTERFACE:-fsanitize=${DURAR_SANITIZE}>)
endif()

if(NOT DURAR_INSTALL)
  return()
endif()

set(DURAR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/durar)

# A shared libdurar installed outside the loader's paths is still found by what links it
# from the same prefix: the durar command, and libdurar_c (a RUNPATH is not inherited by
# the libraries a program loads, so libdurar_c needs its own).
if(BUILD_SHARED_LIBS AND NOT APPLE AND NOT WIN32 AND NOT IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}"
   AND NOT IS_ABSOLUTE "${CMAKE_INSTALL_BINDIR}")
  file(RELATIVE_PATH _durar_bin_to_lib /${CMAKE_INSTALL_BINDIR} /${CMAKE_INSTALL_LIBDIR})
  if(TARGET durar_cli)
    set_property(TARGET durar_cli APPEND PROPERTY INSTALL_RPATH "$ORIGIN/${_durar_bin_to_lib}")
  endif()
  if(TARGET durar_c)
    set_property(TARGET durar_c APPEND PROPERTY INSTALL_RPATH "$ORIGIN")
  endif()
endif()

install(TARGETS durar EXPORT durar-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/libdurar/include/durar
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/libdurar/include/durar/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/durar)
install(EXPORT durar-targets NAMESPACE durar:: FILE durar-targets.cmake
  DESTINATION ${DURAR_CMAKE_DIR})

# ---- durar-config.cmake ---------------------------------------------------------------

# The public headers include standalone Asio (header-only); nothing else of the
# dependencies reaches a consumer's compiler. A static libdurar also needs the private
# dependencies at the consumer's link step, so the package finds them then.
set(DURAR_STATIC_DEPS "")
if(NOT BUILD_SHARED_LIBS)
  string(JOIN "\n" DURAR_STATIC_DEPS
    "find_dependency(fmt)"
    "find_dependency(simdjson)"
    "find_dependency(yaml-cpp)"
    "find_dependency(CURL)"
    "find_dependency(OpenSSL COMPONENTS Crypto)")
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/durar-config.cmake.in
  ${PROJECT_BINARY_DIR}/durar-config.cmake
  INSTALL_DESTINATION ${DURAR_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/durar-config-version.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/durar-config.cmake
  ${PROJECT_BINARY_DIR}/durar-config-version.cmake
  DESTINATION ${DURAR_CMAKE_DIR})

# ---- durar.pc ---------------------------------------------------------------------------

# Relocatable: paths are relative to the .pc file, so `cmake --install --prefix` anywhere
# gives a working file (as the CMake package is).
set(DURAR_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(DURAR_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(DURAR_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _durar_up "/${DURAR_PC_DIR}" "/")
  string(REGEX REPLACE "/$" "" _durar_up "${_durar_up}")
  set(DURAR_PC_PREFIX "\${pcfiledir}/${_durar_up}")
  set(DURAR_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(DURAR_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(DURAR_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()

# What durar::durar carries as usage requirements, spelled for pkg-config.
set(DURAR_PC_CFLAGS "-DASIO_STANDALONE -DASIO_NO_DEPRECATED -DASIO_DISABLE_STD_ALIGNED_ALLOC")
if(NOT BUILD_SHARED_LIBS)
  string(APPEND DURAR_PC_CFLAGS " -DDURAR_STATIC")
endif()
if(NOT ASIO_INCLUDE_DIR IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
  string(APPEND DURAR_PC_CFLAGS " -I${ASIO_INCLUDE_DIR}")
endif()
set(DURAR_PC_LIBS "-pthread")
if(DURAR_SANITIZE)
  string(APPEND DURAR_PC_LIBS " -fsanitize=${DURAR_SANITIZE}")
endif()
# A static libdurar needs its dependencies on every link line, so they are in Libs, not
# Libs.private: an install holds one libdurar, and `pkg-config --static` would also pull
# in libcurl's own static dependencies, which systems rarely have. They are shared
# libraries here; the two without a .pc file are the files found when building.
if(NOT BUILD_SHARED_LIBS)
  string(APPEND DURAR_PC_LIBS
    " -lfmt -lsimdjson -lyaml-cpp -lcurl -lcrypto ${HTTP_PARSER_LIBRARY} ${WSLAY_LIBRARY}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/durar.pc.in ${PROJECT_BINARY_DIR}/durar.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/durar.pc DESTINATION ${DURAR_PC_DIR})
