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

# Ferry's own builds find the cached third-party prefix. deps-mingw, which
# builds that prefix, sets FERRY_DEPS_STAGE in the environment instead (the
# environment reaches try_compile projects too).
if(DEFINED ENV{FERRY_DEPS_STAGE})
  list(APPEND CMAKE_FIND_ROOT_PATH "$ENV{FERRY_DEPS_STAGE}")
else()
  if(NOT FERRY_DEPS_PREFIX)
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
  endif()
  if(NOT EXISTS "${FERRY_DEPS_PREFIX}/.complete")
    message(FATAL_ERROR "mingw dependencies missing at ${FERRY_DEPS_PREFIX}: run scripts/deps-mingw")
  endif()
  list(APPEND CMAKE_FIND_ROOT_PATH "${FERRY_DEPS_PREFIX}")
  # try_compile projects re-read this file; hand them the answer.
  list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FERRY_DEPS_PREFIX)
endif()

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
