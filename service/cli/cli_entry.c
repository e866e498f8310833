/* Process entry point: native main, or wmain that converts to UTF-8. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#ifdef _WIN32
#include <stdint.h>
#include <wchar.h>

#include "util/mem.h"
#include "util/utf.h"

int wmain(int argc, wchar_t **wargv);

int wmain(int argc, wchar_t **wargv)
{
	char **argv = ferry_calloc((size_t)argc + 1, sizeof(*argv));
	int rc = 1;
	int i;

	if (!argv) {
		fprintf(stderr, "ferry: out of memory\n");
		return 1;
	}
	for (i = 0; i < argc; i++) {
		size_t n;

		/* wchar_t is UTF-16 on Windows. */
		if (ferry_utf16_to_utf8(&argv[i], &n, (const uint16_t *)wargv[i],
					wcslen(wargv[i])) != FERRY_OK) {
			fprintf(stderr, "ferry: argument %d is not valid UTF-16\n", i);
			goto out;
		}
	}
	rc = cli_main(argc, argv);
out:
	for (i = 0; i < argc; i++)
		ferry_free(argv[i]);
	ferry_free(argv);
	return rc;
}
#else
int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
#endif
