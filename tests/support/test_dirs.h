/* make_dir / remove_dir for the unit suites that build on both platforms
 * (natively and under Wine): one spelling of the #ifdef. */
#ifndef FERRY_TEST_DIRS_H
#define FERRY_TEST_DIRS_H

#ifdef _WIN32
#include <direct.h>
#define make_dir(p) _mkdir(p)
#define remove_dir(p) _rmdir(p)
#else
#include <sys/stat.h>
#include <unistd.h>
#define make_dir(p) mkdir(p, 0700)
#define remove_dir(p) rmdir(p)
#endif

#endif
