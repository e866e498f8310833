# ferry_add_version_resource(target "description" original-filename)
# Gives a Windows binary its resources, all generated from resources/:
# - VERSIONINFO from the project version (version.rc.in);
# - the string tables, en-US and en-GB (strings.rc, IDs in strings.h);
# - for executables: the icon and a manifest (app.manifest.in) with the
#   execution level below, plus DPI awareness and common controls v6 for
#   the GUI programs. DLLs get no manifest (LogonUI's process decides).

# requireAdministrator only where a program is useless without it: the
# service binary (SYSTEM under the SCM; run by hand, `ferrysvc run
# --rehearse` reads HKLM and ProgramData\Ferry). The admin CLI stays
# asInvoker: most of its commands are offline file tools.
set(FERRY_MANIFEST_ADMIN ferrysvc)
set(FERRY_MANIFEST_GUI_TARGETS ferry-notify ferry-preview)

function(ferry_add_version_resource target description filename)
  set(FERRY_RC_DESCRIPTION "${description}")
  set(FERRY_RC_FILENAME "${filename}")
  set(res ${CMAKE_SOURCE_DIR}/resources)
  set(FERRY_RC_EXTRA "#include \"strings.rc\"\n")
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    set(FERRY_MANIFEST_LEVEL asInvoker)
    if(target IN_LIST FERRY_MANIFEST_ADMIN)
      set(FERRY_MANIFEST_LEVEL requireAdministrator)
    endif()
    set(FERRY_MANIFEST_GUI "")
    if(target IN_LIST FERRY_MANIFEST_GUI_TARGETS)
      set(FERRY_MANIFEST_GUI "
  <application xmlns=\"urn:schemas-microsoft-com:asm.v3\">
    <windowsSettings>
      <dpiAware xmlns=\"http://schemas.microsoft.com/SMI/2005/WindowsSettings\">true/pm</dpiAware>
      <dpiAwareness xmlns=\"http://schemas.microsoft.com/SMI/2016/WindowsSettings\">PerMonitorV2, PerMonitor</dpiAwareness>
    </windowsSettings>
  </application>
  <dependency>
    <dependentAssembly>
      <assemblyIdentity type=\"win32\" name=\"Microsoft.Windows.Common-Controls\" version=\"6.0.0.0\"
                        processorArchitecture=\"*\" publicKeyToken=\"6595b64144ccf1df\" language=\"*\"/>
    </dependentAssembly>
  </dependency>")
    endif()
    set(manifest ${CMAKE_BINARY_DIR}/generated/${target}.manifest)
    configure_file(${res}/app.manifest.in ${manifest} @ONLY)
    # 1 = CREATEPROCESS_MANIFEST_RESOURCE_ID, 24 = RT_MANIFEST
    string(APPEND FERRY_RC_EXTRA "IDI_FERRY ICON \"${res}/images/ferry.ico\"\n1 24 \"${manifest}\"\n")
  endif()
  set(rc ${CMAKE_BINARY_DIR}/generated/${target}_version.rc)
  configure_file(${res}/version.rc.in ${rc} @ONLY)
  target_sources(${target} PRIVATE ${rc})
  set_property(SOURCE ${rc} APPEND PROPERTY INCLUDE_DIRECTORIES ${CMAKE_BINARY_DIR}/generated ${res})
  set_property(SOURCE ${rc} APPEND PROPERTY OBJECT_DEPENDS
    ${res}/strings.rc ${res}/strings.h ${res}/images/ferry.ico)
endfunction()
