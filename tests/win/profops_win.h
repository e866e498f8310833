/* Helpers shared by the Wine suites of the profile ops (test_profops_*.c). */
#ifndef FERRY_TESTS_PROFOPS_WIN_H
#define FERRY_TESTS_PROFOPS_WIN_H

#include "sec/table.h"
#include "win/profops.h"

#include <windows.h>

#define SRC_SID "S-1-5-21-1004336348-1177238915-682003330-1105"
#define DST_SID "S-1-5-21-3623811015-3361044348-30300820-2105"
#define SRC_SIDW L"S-1-5-21-1004336348-1177238915-682003330-1105"
#define DST_SIDW L"S-1-5-21-3623811015-3361044348-30300820-2105"
#define PROFILE_LIST L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList"

#endif
