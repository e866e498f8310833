# Windows executables built here run under Wine, in a private prefix under the
# build tree, created on first use by cmake/wine-run.
set(FERRY_WINEPREFIX ${CMAKE_BINARY_DIR}/wineprefix)
set(FERRY_WINE_RUN ${CMAKE_SOURCE_DIR}/cmake/wine-run)
set(CMAKE_CROSSCOMPILING_EMULATOR ${FERRY_WINE_RUN} --prefix ${FERRY_WINEPREFIX})

# ferry_add_wine_test(NAME name COMMAND target args... [GUI])
# GUI tests get an X server from xvfb-run; the rest run headless.
function(ferry_add_wine_test)
  cmake_parse_arguments(ARG "GUI" "NAME" "COMMAND" ${ARGN})
  set(mode)
  if(ARG_GUI)
    set(mode --gui)
  endif()
  list(POP_FRONT ARG_COMMAND exe)
  add_test(NAME ${ARG_NAME}
    COMMAND ${FERRY_WINE_RUN} --prefix ${FERRY_WINEPREFIX} ${mode} $<TARGET_FILE:${exe}> ${ARG_COMMAND})
  if(ARG_GUI)
    set_tests_properties(${ARG_NAME} PROPERTIES RESOURCE_LOCK wine-gui)
  endif()
endfunction()
