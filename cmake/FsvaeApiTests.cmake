# FsvaeApiTests.cmake: tests of the embedding API, included from
# tests/CMakeLists.txt (after doctest is found).
#
#   fsvae_capi_tests         doctest: every C function and its error paths,
#                            8 concurrent sessions against serial runs, the
#                            C++ wrapper, the structs' sizes; links the SHARED library, so it also
#                            proves the exported symbol set is enough
#   fsvae_capi_c99           the C header compiled as strict C99 (-Werror) in a
#                            C program linked to the STATIC library
#   fsvae_wrapper_noexcept   the wrapper under -fno-exceptions
set(_capi_tests ${PROJECT_SOURCE_DIR}/tests)

add_executable(fsvae_capi_tests
  ${_capi_tests}/test_main.cpp
  ${_capi_tests}/test_capi.cpp
  ${_capi_tests}/test_capi_abi.cpp
  ${_capi_tests}/test_capi_concurrency.cpp
  ${_capi_tests}/test_capi_wrapper.cpp
  ${_capi_tests}/test_capi_latents.cpp
  ${_capi_tests}/capi/capi_support.cpp)
target_compile_options(fsvae_capi_tests PRIVATE ${FSVAE_WARNINGS})
target_compile_definitions(fsvae_capi_tests PRIVATE
  FSVAE_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  FSVAE_TEST_MODEL="${FSVAE_SOURCE_MODEL}")
find_package(Threads REQUIRED)
target_link_libraries(fsvae_capi_tests PRIVATE fsvae::fsvae doctest::doctest Threads::Threads)
doctest_discover_tests(fsvae_capi_tests)

add_executable(fsvae_capi_c99 ${_capi_tests}/capi/c99_smoke.c)
set_target_properties(fsvae_capi_c99 PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_compile_options(fsvae_capi_c99 PRIVATE -Wall -Wextra -Werror -pedantic)
target_link_libraries(fsvae_capi_c99 PRIVATE fsvae::fsvae_static)
add_test(NAME capi.c99 COMMAND fsvae_capi_c99 ${FSVAE_SOURCE_MODEL})

add_executable(fsvae_wrapper_noexcept ${_capi_tests}/capi/wrapper_noexcept.cpp)
target_compile_options(fsvae_wrapper_noexcept PRIVATE ${FSVAE_WARNINGS} -fno-exceptions)
target_compile_definitions(fsvae_wrapper_noexcept PRIVATE
  FSVAE_NO_EXCEPTIONS FSVAE_TEST_MODEL="${FSVAE_SOURCE_MODEL}")
target_link_libraries(fsvae_wrapper_noexcept PRIVATE fsvae::fsvae_static)
add_test(NAME capi.wrapper_noexcept COMMAND fsvae_wrapper_noexcept)
