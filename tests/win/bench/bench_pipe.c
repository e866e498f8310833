/*
 * Pipe round-trip benchmark (scripts/bench-pipe): starts ferrysvc.exe
 * (`run --rehearse --serve` on a private pipe, the sample batch) unless
 * --pipe names a running one, then times N get_experience round trips on
 * one connection and prints p50, p99 and max in microseconds.
 *
 *   bench_pipe.exe [--requests N] [--pipe NAME]
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../svc_client.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int wmain(int argc, wchar_t **argv);

int wmain(int argc, wchar_t **argv)
{
	wchar_t pipe[128], args[2048], tmp[MAX_PATH];
	unsigned long n = 10000;
	HANDLE server = NULL, h;
	LARGE_INTEGER freq, t0, t1;
	uint64_t *us;
	char req[96];
	unsigned long fails = 0;

	swprintf(pipe, 128, L"\\\\.\\pipe\\FerryBench.%lu", GetCurrentProcessId());
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!wcscmp(argv[i], L"--requests"))
			n = wcstoul(argv[i + 1], NULL, 10);
		else if (!wcscmp(argv[i], L"--pipe"))
			swprintf(pipe, 128, L"\\\\.\\pipe\\%ls", argv[i + 1]), server = INVALID_HANDLE_VALUE;
	}
	if (!n || !(us = calloc(n, sizeof(*us))))
		return 2;
	if (!server) {
		GetTempPathW(MAX_PATH, tmp);
		swprintf(args, 2048,
			 L"run --rehearse --serve --pipe %ls --state \"%lsferry-bench\" --device "
			 L"FIN-PC-001 --batch \"%hs/batch-01.json\"",
			 pipe + 9, tmp, SVC_TEST_SAMPLES);
		if (!svc_test_spawn(&server, args, NULL)) {
			fprintf(stderr, "cannot start ferrysvc.exe\n");
			return 1;
		}
	}
	h = svc_test_connect(pipe, 20000);
	if (h == INVALID_HANDLE_VALUE) {
		fprintf(stderr, "cannot connect to %ls\n", pipe);
		return 1;
	}
	QueryPerformanceFrequency(&freq);
	for (unsigned long i = 0; i < n; i++) {
		struct ipc_reply *r;

		snprintf(req, sizeof(req), "{\"v\":1,\"id\":%lu,\"op\":\"get_experience\"}", i + 1);
		QueryPerformanceCounter(&t0);
		r = svc_test_call(h, req, IPC_OP_GET_EXPERIENCE);
		QueryPerformanceCounter(&t1);
		if ((!r || !r->ok) && !fails++)
			fprintf(stderr, "first failure: %s %s\n", r ? r->u.error.code : "(no reply)",
				r ? r->u.error.message : "");
		ferry_free(r);
		us[i] = (uint64_t)((t1.QuadPart - t0.QuadPart) * 1000000 / freq.QuadPart);
	}
	CloseHandle(h);
	qsort(us, n, sizeof(*us), cmp_u64);
	printf("pipe round trip (get_experience, one client, %lu requests, %lu failed): "
	       "p50 %llu us, p99 %llu us, max %llu us\n",
	       n, fails, (unsigned long long)us[n / 2], (unsigned long long)us[n * 99 / 100],
	       (unsigned long long)us[n - 1]);
	free(us);
	if (server && server != INVALID_HANDLE_VALUE) {
		TerminateProcess(server, 0);
		CloseHandle(server);
	}
	return fails ? 1 : 0;
}
