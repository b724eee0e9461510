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
endif()
