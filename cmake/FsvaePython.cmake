# FsvaePython.cmake: the `fsvae` Python package (python/): the compiled module
# fsvae._fsvae (pybind11) and the pure-Python layer, staged together with the
# bundled model and the exporter in ${FSVAE_PYTHON_STAGE}/fsvae, importable
# from the build tree with PYTHONPATH=${FSVAE_PYTHON_STAGE}. `pip install .`
# builds the target fsvae_python through setup.py and copies the staged
# package; -DFSVAE_BUILD_PYTHON=ON also installs it with `cmake --install`.
option(FSVAE_BUILD_PYTHON "Build the fsvae Python package (pybind11)" OFF)
if(NOT FSVAE_BUILD_PYTHON)
  return()
endif()

# The interpreter the package is for: setup.py passes its own; otherwise the
# system one the other Python tests use (tests/CMakeLists.txt), which holds
# Debian's numpy, pytest and dask.
if(NOT Python3_EXECUTABLE AND FSVAE_SYSTEM_PYTHON)
  set(Python3_EXECUTABLE ${FSVAE_SYSTEM_PYTHON})
endif()
set(PYBIND11_FINDPYTHON ON)
find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Module)
find_package(pybind11 CONFIG REQUIRED)
find_package(nlohmann_json REQUIRED)

set(FSVAE_PYTHON_STAGE ${PROJECT_BINARY_DIR}/python CACHE PATH "Where the importable package is staged")
set(_pkg ${FSVAE_PYTHON_STAGE}/fsvae)

# The profile's JSON and report come from the command line's own code, so the
# dict Model.profile() returns is the document `fsvae profile` writes.
pybind11_add_module(fsvae_python_module MODULE NO_EXTRAS
  python/src/fsvae_module.cpp
  tools/profile_json.cpp
  tools/profile_report.cpp
  $<TARGET_OBJECTS:fsvae_capi>)
target_include_directories(fsvae_python_module PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(fsvae_python_module PRIVATE fsvae_runtime nlohmann_json::nlohmann_json)
target_compile_options(fsvae_python_module PRIVATE ${FSVAE_WARNINGS})
set_target_properties(fsvae_python_module PROPERTIES
  OUTPUT_NAME _fsvae
  LIBRARY_OUTPUT_DIRECTORY ${_pkg})

# The pure-Python files, the bundled model and the exporter (with the schema
# its FlatBuffers code is generated from), copied beside the module.
file(GLOB _fsvae_py CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/python/fsvae/*.py)
set(_fsvae_exporter tools/fsvae_export.py tools/fsvae_arch.py tools/fsvae_schema.py)
set(_stamp ${PROJECT_BINARY_DIR}/fsvae_python_files.stamp)
set(_copies)
foreach(f ${_fsvae_py})
  list(APPEND _copies COMMAND ${CMAKE_COMMAND} -E copy_if_different ${f} ${_pkg}/)
endforeach()
foreach(f ${_fsvae_exporter})
  list(APPEND _copies COMMAND ${CMAKE_COMMAND} -E copy_if_different ${PROJECT_SOURCE_DIR}/${f} ${_pkg}/_exporter/)
endforeach()
add_custom_command(OUTPUT ${_stamp}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_pkg}/data ${_pkg}/_exporter ${_pkg}/formats
  ${_copies}
  COMMAND ${CMAKE_COMMAND} -E copy_if_different ${FSVAE_SOURCE_MODEL} ${_pkg}/data/
  COMMAND ${CMAKE_COMMAND} -E copy_if_different ${PROJECT_SOURCE_DIR}/formats/fsvae.fbs ${_pkg}/formats/
  # The schema's Python classes, whose package (fsvae.format, the schema's
  # namespace) lives inside this one: the exporter imports them from here.
  COMMAND ${CMAKE_COMMAND} -E remove_directory ${PROJECT_BINARY_DIR}/python_fbs
  COMMAND ${FSVAE_FLATC} --python -o ${PROJECT_BINARY_DIR}/python_fbs ${PROJECT_SOURCE_DIR}/formats/fsvae.fbs
  COMMAND ${CMAKE_COMMAND} -E copy_directory ${PROJECT_BINARY_DIR}/python_fbs/fsvae/format ${_pkg}/format
  COMMAND ${CMAKE_COMMAND} -E touch ${_stamp}
  DEPENDS ${_fsvae_py} ${FSVAE_SOURCE_MODEL} ${PROJECT_SOURCE_DIR}/formats/fsvae.fbs
          ${_fsvae_exporter}
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  COMMENT "Staging the fsvae Python package")
add_custom_target(fsvae_python ALL DEPENDS ${_stamp} fsvae_python_module)

set(FSVAE_PYTHON_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/python3/dist-packages
    CACHE PATH "Where `cmake --install` puts the fsvae package (relative: under the prefix)")
install(DIRECTORY ${_pkg} DESTINATION ${FSVAE_PYTHON_INSTALL_DIR} COMPONENT python
        PATTERN "__pycache__" EXCLUDE)

# The package's tests (tests/python/test_package*.py, pytest), run on the
# staged package; the install test pip-installs it into a fresh venv.
if(FSVAE_BUILD_TESTS AND FSVAE_BUILD_TOOLS)
  foreach(t package package_interrupt package_dask package_install)
    add_test(NAME python.${t}
             COMMAND ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider
                     ${PROJECT_SOURCE_DIR}/tests/python/test_${t}.py)
    set_tests_properties(python.${t} PROPERTIES
      WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
      ENVIRONMENT "PYTHONPATH=${FSVAE_PYTHON_STAGE};FSVAE_CLI=$<TARGET_FILE:fsvae>;FSVAE_BUILD_DIR=${PROJECT_BINARY_DIR}"
      TIMEOUT 300)
  endforeach()
endif()
