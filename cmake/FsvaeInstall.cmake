# FsvaeInstall.cmake: `cmake --install` of the embeddable library: the public
# headers (include/fsvae/*.h, *.hpp only), libfsvae.so and libfsvae.a, the
# CMake package (fsvae::fsvae, fsvae::fsvae_static) and the bundled model.
#
#   find_package(fsvae 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE fsvae::fsvae)        # or fsvae::fsvae_static
#   # ${fsvae_BUNDLED_MODEL}: the installed share/fsvae/fashion-mnist.fsvae
include(CMakePackageConfigHelpers)

set(FSVAE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/fsvae)

install(FILES ${FSVAE_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/fsvae)
install(TARGETS fsvae_shared fsvae_static EXPORT fsvaeTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT fsvaeTargets NAMESPACE fsvae:: DESTINATION ${FSVAE_CMAKE_DIR})

# The command line installs the model too (CMakeLists.txt); install it here
# only when that block does not run, so it is listed once.
if(NOT FSVAE_BUILD_TOOLS)
  install(FILES ${FSVAE_SOURCE_MODEL} DESTINATION ${CMAKE_INSTALL_DATADIR}/fsvae)
endif()

set(FSVAE_INSTALLED_MODEL_REL ${CMAKE_INSTALL_DATADIR}/fsvae/${FSVAE_BUNDLED_MODEL_NAME})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/fsvaeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/fsvaeConfig.cmake
  INSTALL_DESTINATION ${FSVAE_CMAKE_DIR}
  PATH_VARS FSVAE_INSTALLED_MODEL_REL)
# 0.x: a minor release may break the API, so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/fsvaeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/fsvaeConfig.cmake ${PROJECT_BINARY_DIR}/fsvaeConfigVersion.cmake
  DESTINATION ${FSVAE_CMAKE_DIR})
