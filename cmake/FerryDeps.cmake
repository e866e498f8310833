# Third-party libraries as imported targets ferry::openssl, ferry::curl,
# ferry::cjson, ferry::cmocka and ferry::qrencode. Natively they are Debian's
# -dev packages; for Windows they are the static builds of scripts/deps-mingw,
# found through the toolchain's find root.

function(ferry_find_lib name header lib)
  cmake_parse_arguments(ARG "" "" "EXTRA;PATH_SUFFIXES" ${ARGN})
  find_path(FERRY_${name}_INCLUDE ${header} PATH_SUFFIXES ${ARG_PATH_SUFFIXES})
  # lib may be a list of names, the preferred (static) one first.
  find_library(FERRY_${name}_LIBRARY NAMES ${lib})
  if(NOT FERRY_${name}_INCLUDE OR NOT FERRY_${name}_LIBRARY)
    if(WIN32)
      message(FATAL_ERROR "${name}: ${header} / ${lib} not found; run scripts/deps-mingw")
    else()
      message(FATAL_ERROR "${name}: ${header} / ${lib} not found; run scripts/bootstrap")
    endif()
  endif()
  add_library(ferry::${name} INTERFACE IMPORTED GLOBAL)
  target_include_directories(ferry::${name} SYSTEM INTERFACE ${FERRY_${name}_INCLUDE})
  target_link_libraries(ferry::${name} INTERFACE ${FERRY_${name}_LIBRARY} ${ARG_EXTRA})
endfunction()

# A build folder keeps what find_path/find_library found. When deps-mingw's
# prefix changes (its key covers the sources, the compiler and the script),
# forget those answers, or a warm build would link the previous prefix's
# libraries without a word (tests/check-artifacts looks for exactly that).
if(WIN32 AND FERRY_DEPS_PREFIX AND NOT "${FERRY_DEPS_PREFIX}" STREQUAL "${FERRY_DEPS_FOUND_IN}")
  foreach(_name crypto ssl curl cjson cmocka qrencode)
    unset(FERRY_${_name}_INCLUDE CACHE)
    unset(FERRY_${_name}_LIBRARY CACHE)
  endforeach()
  set(FERRY_DEPS_FOUND_IN "${FERRY_DEPS_PREFIX}" CACHE INTERNAL "deps-mingw prefix of the FERRY_*_LIBRARY entries")
endif()

if(WIN32)
  set(_crypto_extra ws2_32 crypt32 bcrypt user32 advapi32)
  ferry_find_lib(crypto openssl/evp.h crypto EXTRA ${_crypto_extra})
  ferry_find_lib(ssl openssl/ssl.h ssl EXTRA ferry::crypto)
  ferry_find_lib(curl curl/curl.h curl EXTRA ferry::ssl ferry::crypto ws2_32 crypt32 wldap32 normaliz iphlpapi)
  target_compile_definitions(ferry::curl INTERFACE CURL_STATICLIB)
else()
  ferry_find_lib(crypto openssl/evp.h crypto)
  ferry_find_lib(ssl openssl/ssl.h ssl EXTRA ferry::crypto)
  ferry_find_lib(curl curl/curl.h curl)
endif()
ferry_find_lib(cjson cjson/cJSON.h cjson)
if(WIN32)
  # Static archives, and headers told not to mark symbols dllimport/dllexport.
  target_compile_definitions(ferry::cjson INTERFACE CJSON_HIDE_SYMBOLS)
  # The archive itself was built with CJSON_EXPORT_SYMBOLS: each object
  # carries "-export:cJSON_..." linker directives (.drectve), so a DLL that
  # links it exports cJSON's 78 functions whatever its .def says. Link a
  # copy without those directives (win.credprov_exports checks ferrycp.dll).
  set(_cjson_noexport ${CMAKE_BINARY_DIR}/deps/libcjson-noexport.a)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/deps)
  execute_process(COMMAND ${CMAKE_OBJCOPY} --remove-section .drectve
                          ${FERRY_cjson_LIBRARY} ${_cjson_noexport}
                  RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "cjson: ${CMAKE_OBJCOPY} could not strip ${FERRY_cjson_LIBRARY}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${FERRY_cjson_LIBRARY})
  set_property(TARGET ferry::cjson PROPERTY INTERFACE_LINK_LIBRARIES ${_cjson_noexport})
  ferry_find_lib(cmocka cmocka.h "cmocka-static;cmocka")
else()
  ferry_find_lib(cmocka cmocka.h cmocka)
endif()
if(WIN32)
  # libqrencode guards its RS tables with a mutex from winpthreads (static).
  ferry_find_lib(qrencode qrencode.h qrencode EXTRA pthread)
else()
  ferry_find_lib(qrencode qrencode.h qrencode)
endif()
add_library(ferry::openssl INTERFACE IMPORTED GLOBAL)
target_link_libraries(ferry::openssl INTERFACE ferry::ssl ferry::crypto)
