include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS durar EXPORT durar-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY libdurar/include/durar DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/libdurar/include/durar/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/durar)
install(EXPORT durar-targets NAMESPACE durar:: FILE durar-targets.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/durar)

set(DURAR_STATIC_DEPS "")
if(NOT BUILD_SHARED_LIBS)
  # A static libdurar needs its private dependencies at the consumer's link step.
  set(DURAR_STATIC_DEPS "find_dependency(fmt)\nfind_dependency(simdjson)\nfind_dependency(yaml-cpp)\nfind_dependency(CURL)")
endif()
configure_package_config_file(cmake/durar-config.cmake.in
  ${PROJECT_BINARY_DIR}/durar-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/durar)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/durar-config-version.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/durar-config.cmake ${PROJECT_BINARY_DIR}/durar-config-version.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/durar)
