# Cross-compile for 64-bit Windows with Debian's mingw-w64 (gcc, win32 threads).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(FERRY_MINGW_HOST x86_64-w64-mingw32)

set(CMAKE_C_COMPILER   ${FERRY_MINGW_HOST}-gcc)
set(CMAKE_CXX_COMPILER ${FERRY_MINGW_HOST}-g++)
set(CMAKE_RC_COMPILER  ${FERRY_MINGW_HOST}-windres)
set(CMAKE_AR           ${FERRY_MINGW_HOST}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB       ${FERRY_MINGW_HOST}-ranlib CACHE FILEPATH "")

set(CMAKE_FIND_ROOT_PATH /usr/${FERRY_MINGW_HOST})

# Ferry's own builds find the cached third-party prefix; deps-mingw itself,
# which builds that prefix, turns this off.
if(NOT FERRY_TOOLCHAIN_NO_DEPS)
  if(DEFINED ENV{FERRY_DEPS_PREFIX})
    set(FERRY_DEPS_PREFIX "$ENV{FERRY_DEPS_PREFIX}")
  else()
    execute_process(
      COMMAND "${CMAKE_CURRENT_LIST_DIR}/../scripts/deps-mingw" --print-prefix
      OUTPUT_VARIABLE FERRY_DEPS_PREFIX OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _ferry_deps_rc)
    if(NOT _ferry_deps_rc EQUAL 0)
      message(FATAL_ERROR "scripts/deps-mingw --print-prefix failed")
    endif()
  endif()
  if(NOT EXISTS "${FERRY_DEPS_PREFIX}/.complete")
    message(FATAL_ERROR "mingw dependencies missing at ${FERRY_DEPS_PREFIX}: run scripts/deps-mingw")
  endif()
  list(APPEND CMAKE_FIND_ROOT_PATH "${FERRY_DEPS_PREFIX}")
else()
  # deps-mingw passes its staging prefix as CMAKE_PREFIX_PATH; it must be a
  # find root too, or ONLY mode would re-root it out of reach.
  list(APPEND CMAKE_FIND_ROOT_PATH ${CMAKE_PREFIX_PATH})
endif()

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
