/*
 * `ferrysvc run --rehearse --batch resources/samples/batch-01.json` under
 * Wine: the reference migration played with a simulated clock and
 * simulated user answers prints the whole planned op sequence, which must
 * equal tests/data/rehearse/batch-01.txt, and exits 0. Wine cannot join or
 * leave a domain, so this rehearsal is how those steps are exercised here.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "svc_client.h"

#define EXPECTED FERRY_SOURCE_DIR "/tests/data/rehearse/batch-01.txt"

/* Read a file, dropping CRs (the console run writes CRLF line ends). */
static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *text = ferry_malloc(65536);
	size_t n = 0;
	int c;

	if (!fp || !text)
		fail_msg("cannot read %s", path);
	while ((c = fgetc(fp)) != EOF && n < 65535)
		if (c != '\r')
			text[n++] = (char)c;
	text[n] = '\0';
	fclose(fp);
	return text;
}

static void test_svc_rehearse__sample_batch_prints_the_planned_ops(void **state)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	wchar_t args[2048], tmp[MAX_PATH], out_path[MAX_PATH];
	char out_path8[MAX_PATH * 3];
	HANDLE out, proc = NULL;
	DWORD code = 999;
	char *got, *want;

	(void)state;
	GetTempPathW(MAX_PATH, tmp);
	swprintf(out_path, MAX_PATH, L"%lsferry-rehearse-%llx.txt", tmp, svc_test_unique());
	out = CreateFileW(out_path, GENERIC_WRITE, FILE_SHARE_READ, &sa, CREATE_ALWAYS,
			  FILE_ATTRIBUTE_NORMAL, NULL);
	assert_true(out != INVALID_HANDLE_VALUE);
	swprintf(args, 2048,
		 L"run --rehearse --device FIN-PC-001 --state \"%lsferry-test-rehearse\" "
		 L"--batch \"%hs/batch-01.json\"",
		 tmp, SVC_TEST_SAMPLES);
	assert_true(svc_test_spawn(&proc, args, out));
	CloseHandle(out);
	assert_int_equal(WaitForSingleObject(proc, 60000), WAIT_OBJECT_0);
	GetExitCodeProcess(proc, &code);
	CloseHandle(proc);
	assert_int_equal(code, 0);
	WideCharToMultiByte(CP_UTF8, 0, out_path, -1, out_path8, sizeof(out_path8), NULL, NULL);
	got = slurp(out_path8);
	want = slurp(EXPECTED);
	if (strcmp(got, want))
		print_message("got:\n%s", got);
	assert_string_equal(got, want);
	ferry_free(got);
	ferry_free(want);
	DeleteFileW(out_path);
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svc_rehearse__sample_batch_prints_the_planned_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
