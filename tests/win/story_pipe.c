/*
 * story_pipe.exe: user-story's checks of who may cache what (issue 17 §2),
 * as the session's user, against the real service (tests/e2e/user_story.py).
 *
 *   story_pipe PIPE experience              prints "prefilled=<target_user>",
 *                                           "title=<title>", "body=<body>"
 *   story_pipe PIPE cache USER DOMAIN       prints "ok=1" or
 *                                           "ok=0 code=<code> message=<text>"
 *
 * The cache request carries a throwaway password (never a real one: the
 * rehearsing service only records the attempt); it exists to see the
 * service's authorisation answer a source-domain account. Exit 0 when the
 * call was answered, 1 when the pipe could not be used.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "svc_client.h"

int wmain(int argc, wchar_t **argv);

int wmain(int argc, wchar_t **argv)
{
	char user[IPC_NAME_MAX + 1] = "", domain[IPC_NAME_MAX + 1] = "", json[1024];
	bool cache = argc == 5 && !wcscmp(argv[2], L"cache");
	struct ipc_reply *r;
	HANDLE h;

	if (!(argc == 3 && !wcscmp(argv[2], L"experience")) && !cache) {
		fprintf(stderr, "usage: story_pipe PIPE experience | PIPE cache USER DOMAIN\n");
		return 1;
	}
	if (cache && (!WideCharToMultiByte(CP_UTF8, 0, argv[3], -1, user, sizeof(user), NULL, NULL) ||
		      !WideCharToMultiByte(CP_UTF8, 0, argv[4], -1, domain, sizeof(domain), NULL,
					   NULL) ||
		      strpbrk(user, "\"\\") || strpbrk(domain, "\"\\")))
		return 1;
	if ((h = svc_test_connect_live(argv[1], 20000)) == INVALID_HANDLE_VALUE)
		return 1;
	if (cache) {
		snprintf(json, sizeof(json), "{\"v\":1,\"id\":2,\"op\":\"cache_credentials\","
			 "\"user\":\"%s\",\"domain\":\"%s\",\"password\":\"not-a-real-one\"}", user,
			 domain);
		r = svc_test_call(h, json, IPC_OP_CACHE_CREDENTIALS);
		if (r && r->ok)
			printf("ok=1\n");
		else if (r)
			printf("ok=0 code=%s message=%s\n", r->u.error.code, r->u.error.message);
	} else {
		r = svc_test_call(h, "{\"v\":1,\"id\":2,\"op\":\"get_experience\"}",
				  IPC_OP_GET_EXPERIENCE);
		if (r && r->ok)
			printf("prefilled=%s\ntitle=%s\nbody=%s\n", r->u.experience.target_user,
			       r->u.experience.title, r->u.experience.body);
	}
	fflush(stdout);
	CloseHandle(h);
	if (!r)
		return 1;
	ferry_free(r);
	return 0;
}
