# tests/robustness.cmake: the bad-input, output-failure and session-order
# tests behind docs/robustness.md, kept in their own list so that they can
# be reviewed (and merged) as one piece.
target_sources(fsvae_tests PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/test_bad_inputs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_output_failures.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_determinism_sessions.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unprivileged.cpp)

if(FSVAE_BUILD_TOOLS)
  add_test(NAME cli.bad_inputs COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli/test_bad_inputs.sh
           $<TARGET_FILE:fsvae> ${FSVAE_SOURCE_MODEL})
  # Permission cases run unprivileged (exit 77, skipped, where they cannot),
  # with a build of the command line whose bundled-model paths lie in a
  # folder the test controls.
  set(_probe_dir ${CMAKE_CURRENT_BINARY_DIR}/default-model)
  add_executable(fsvae_default_model_probe ${PROJECT_SOURCE_DIR}/tools/fsvae_cli.cpp)
  target_compile_options(fsvae_default_model_probe PRIVATE ${FSVAE_WARNINGS})
  target_compile_definitions(fsvae_default_model_probe PRIVATE
    FSVAE_SOURCE_MODEL="${_probe_dir}/source/fashion-mnist.fsvae"
    FSVAE_INSTALLED_MODEL="${_probe_dir}/installed/fashion-mnist.fsvae")
  target_link_libraries(fsvae_default_model_probe PRIVATE fsvae_cli_parts)
  add_test(NAME cli.permissions COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli/test_permissions.sh
           $<TARGET_FILE:fsvae> ${FSVAE_SOURCE_MODEL} $<TARGET_FILE:fsvae_default_model_probe>
           ${_probe_dir})
  set_tests_properties(cli.permissions PROPERTIES SKIP_RETURN_CODE 77)
endif()
