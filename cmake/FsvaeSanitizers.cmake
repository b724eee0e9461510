# FsvaeSanitizers.cmake: builds every target of the project under sanitizers
# (-DFSVAE_SANITIZE=address,undefined) and, for the libFuzzer build
# (-DFSVAE_FUZZ=ON, clang only), with the coverage instrumentation libFuzzer
# steers by. scripts/hardening.sh uses both.
#
# Included at the end of the top-level CMakeLists.txt, once every target
# exists: a sanitizer must cover the libraries as well as the programs, or a
# bad access inside the runtime goes unseen, and the runtime's own lists need
# not know about it.

set(FSVAE_SANITIZE "" CACHE STRING
    "-fsanitize= list applied to every target, e.g. address,undefined (empty: none)")

# Every build-system target under `dir`, recursively.
function(fsvae_collect_targets dir out)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    fsvae_collect_targets("${sub}" sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

set(_fsvae_compile "")
set(_fsvae_link "")
set(_fsvae_coverage "")
if(FSVAE_SANITIZE)
  # No recovery: the first report fails the test, so CI cannot pass over one.
  list(APPEND _fsvae_compile -fsanitize=${FSVAE_SANITIZE} -fno-sanitize-recover=all
       -fno-omit-frame-pointer -g)
  list(APPEND _fsvae_link -fsanitize=${FSVAE_SANITIZE})
endif()
if(FSVAE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FSVAE_FUZZ needs clang (libFuzzer); configure with CXX=clang++")
  endif()
  # Coverage feedback from the readers and the loader, not from the step
  # loop (fuzz-coverage-ignore.txt says why); the fuzz targets add the
  # libFuzzer driver at link time (tests/fuzz/CMakeLists.txt).
  set(_fsvae_coverage -fsanitize=fuzzer-no-link
      -fsanitize-coverage-ignorelist=${CMAKE_CURRENT_LIST_DIR}/fuzz-coverage-ignore.txt)
  list(APPEND _fsvae_link -fsanitize=fuzzer-no-link)
endif()

if(_fsvae_compile OR _fsvae_coverage)
  fsvae_collect_targets("${PROJECT_SOURCE_DIR}" _fsvae_targets)
  foreach(t IN LISTS _fsvae_targets)
    get_target_property(type ${t} TYPE)
    if(type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
      target_compile_options(${t} PRIVATE ${_fsvae_compile} ${_fsvae_coverage})
      if(NOT type STREQUAL "STATIC_LIBRARY" AND NOT type STREQUAL "OBJECT_LIBRARY")
        target_link_options(${t} PRIVATE ${_fsvae_link})
      endif()
      # clang puts the sanitizer runtimes in executables only: an instrumented
      # shared library leaves their symbols for the program to supply, which
      # a --no-undefined link refuses. Allow it (last -z option wins).
      if(type MATCHES "^(SHARED|MODULE)_LIBRARY$" AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
        target_link_options(${t} PRIVATE LINKER:-z,undefs)
      endif()
    endif()
  endforeach()
  message(STATUS "fsvae: sanitize '${FSVAE_SANITIZE}', fuzz ${FSVAE_FUZZ}")
endif()
