# FsvaeLibrary.cmake: the embeddable library behind include/fsvae/fsvae.h.
#
#   fsvae_capi    OBJECT  the C API (runtime/capi/*.cpp), compiled once
#   fsvae_shared  SHARED  libfsvae.so: the C API with the runtime and kernels
#                         linked in; exports fsvae_* only      -> fsvae::fsvae
#   fsvae_static  STATIC  libfsvae.a: the C API, runtime and kernel objects in
#                         one archive, so consumers need no internal library
#                                                              -> fsvae::fsvae_static
#
# Both need oneTBB at link time (the shared one as a DT_NEEDED library). The
# installed package (FsvaeInstall.cmake) exports both; fsvae::fsvae is the
# shared one because it keeps TBB, the C++ runtime's internals and their
# symbols out of the consumer's link.

# The header's version macros feed fsvae_version(); keep them equal to the
# project's.
file(STRINGS ${PROJECT_SOURCE_DIR}/include/fsvae/fsvae.h _fsvae_ver REGEX "^#define FSVAE_VERSION_(MAJOR|MINOR|PATCH) ")
string(REGEX REPLACE "[^0-9;]*([0-9]+)" "\\1" _fsvae_ver "${_fsvae_ver}")
string(REPLACE ";" "." _fsvae_ver "${_fsvae_ver}")
if(NOT _fsvae_ver STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "include/fsvae/fsvae.h says version ${_fsvae_ver}, the project ${PROJECT_VERSION}")
endif()

set(FSVAE_PUBLIC_HEADERS
  ${PROJECT_SOURCE_DIR}/include/fsvae/fsvae.h
  ${PROJECT_SOURCE_DIR}/include/fsvae/fsvae.hpp)

add_library(fsvae_capi OBJECT
  runtime/capi/counters_api.cpp
  runtime/capi/errors.cpp
  runtime/capi/model_api.cpp
  runtime/capi/session_api.cpp)
target_include_directories(fsvae_capi PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
target_compile_options(fsvae_capi PRIVATE ${FSVAE_WARNINGS})
target_compile_definitions(fsvae_capi PRIVATE FSVAE_BUILDING)
set_target_properties(fsvae_capi PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
# For the runtime's headers and their usage requirements (TBB); the objects
# themselves are linked by the two libraries below.
target_link_libraries(fsvae_capi PRIVATE fsvae_runtime)

set(_fsvae_interface_includes
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

# 0.x: any minor release may change the ABI.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_fsvae_soversion ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
else()
  set(_fsvae_soversion ${PROJECT_VERSION_MAJOR})
endif()

add_library(fsvae_shared SHARED $<TARGET_OBJECTS:fsvae_capi>)
add_library(fsvae::fsvae ALIAS fsvae_shared)
target_include_directories(fsvae_shared INTERFACE ${_fsvae_interface_includes})
target_link_libraries(fsvae_shared PRIVATE fsvae_runtime)
set_target_properties(fsvae_shared PROPERTIES
  OUTPUT_NAME fsvae EXPORT_NAME fsvae
  VERSION ${PROJECT_VERSION} SOVERSION ${_fsvae_soversion})
if(NOT APPLE AND NOT WIN32)
  # ELF linkers (GNU ld, gold, lld). --as-needed: the runtime archive's image
  # codecs (stb, zlib) are not pulled in by the C API, so neither library
  # should end up as DT_NEEDED.
  set(_fsvae_map ${PROJECT_SOURCE_DIR}/runtime/capi/fsvae.map)
  target_link_options(fsvae_shared PRIVATE
    "LINKER:--version-script=${_fsvae_map}" "LINKER:--as-needed")
  set_property(TARGET fsvae_shared APPEND PROPERTY LINK_DEPENDS ${_fsvae_map})
  # Proves the library self-contained; not under sanitizers, whose runtimes
  # clang leaves for the executable to provide (FsvaeSanitizers.cmake).
  if(NOT FSVAE_SANITIZE AND NOT FSVAE_FUZZ)
    target_link_options(fsvae_shared PRIVATE "LINKER:--no-undefined")
  endif()
endif()

add_library(fsvae_static STATIC
  $<TARGET_OBJECTS:fsvae_capi> $<TARGET_OBJECTS:fsvae_runtime> $<TARGET_OBJECTS:fsvae_kernels>)
add_library(fsvae::fsvae_static ALIAS fsvae_static)
target_include_directories(fsvae_static INTERFACE ${_fsvae_interface_includes})
target_compile_definitions(fsvae_static INTERFACE FSVAE_STATIC)
# Exported as $<LINK_ONLY:TBB::tbb>: consumers link TBB, but see no TBB header.
target_link_libraries(fsvae_static PRIVATE TBB::tbb)
set_target_properties(fsvae_static PROPERTIES
  OUTPUT_NAME fsvae EXPORT_NAME fsvae_static
  # The archive holds C++ objects: a C consumer must link with the C++ driver.
  LINKER_LANGUAGE CXX)
