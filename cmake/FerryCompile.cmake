# Compiler settings for Ferry's own targets (never applied to third-party code).

# -Wall -Wextra -Werror and friends on one of our targets.
function(ferry_target_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 /WX)
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
      -Wformat=2 -Wvla)
  endif()
  target_include_directories(${target} PRIVATE ${CMAKE_BINARY_DIR}/generated)
  if(WIN32)
    # Unicode Win32 APIs everywhere; Windows 10 is the oldest target.
    target_compile_definitions(${target} PRIVATE
      UNICODE _UNICODE WIN32_LEAN_AND_MEAN _WIN32_WINNT=0x0A00 WINVER=0x0A00)
  endif()
  if(MINGW)
    # C99 printf (%zu, %lld) from mingw's own stdio, not msvcrt's.
    target_compile_definitions(${target} PRIVATE __USE_MINGW_ANSI_STDIO=1)
  endif()
endfunction()

if(FERRY_FUZZ)
  set(FERRY_SANITIZE ON)
  # Instrument all of our code for coverage; the fuzz targets add the driver.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(FERRY_SANITIZE)
  if(WIN32 OR MSVC)
    message(FATAL_ERROR "FERRY_SANITIZE is for native builds")
  endif()
  # float-cast-overflow: clang's `undefined` has it, gcc's does not; a double
  # from JSON converted to an integer out of range must fail natively too.
  add_compile_options(-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined,float-cast-overflow)
endif()

if(MINGW)
  # Static runtime pieces: the DLL and executables run on a bare Windows.
  add_link_options(-static -static-libgcc)
endif()

# wmain/wWinMain entry points: mingw needs -municode to pick them; MSVC finds them itself.
function(ferry_unicode_entry target)
  if(MINGW)
    target_link_options(${target} PRIVATE -municode)
  endif()
endfunction()
