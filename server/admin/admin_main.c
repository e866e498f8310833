/*
 * ferry-admin [--server URL] [--ca PEM] [--pin PIN] [--token-file FILE] COMMAND ...
 *
 * Each global option has an environment default: FERRY_SERVER, FERRY_CA,
 * FERRY_PIN, FERRY_TOKEN_FILE. The token is read from its file (never
 * from the command line, where other users could see it) and sent only in
 * the Authorization header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "admin.h"
#include "ferry_version.h"
#include "util/err.h"

int admin_usage(void)
{
	fprintf(stderr,
		"usage: ferry-admin [--server URL] [--ca PEM] [--pin PIN] [--token-file FILE] COMMAND\n"
		"  waves list | waves create NAME\n"
		"  waves add-devices WAVE (--csv FILE | NAME...)\n"
		"  waves runbook WAVE RUNBOOK --available-from T|none --enforced-after T|none\n"
		"  waves bundle WAVE SIGNED-BUNDLE.json      (v1 agents)\n"
		"  catalog upload SIGNED-CATALOG.json         (v2: signed offline with the admin's key)\n"
		"  table import --source S.snap --target T.snap [--rules R.json] [--overrides O.csv]\n"
		"  table status                               (counts, hash, who, delta since the last)\n"
		"  devices [--wave W] [--state stuck|failed|complete|active|waiting]\n"
		"  devices move DEVICE --wave W\n"
		"  odj import DEVICE FILE\n"
		"  odj delegation --ou OU --account DOMAIN\\NAME --sid SID [--dc DC]   (prints, local)\n"
		"  enrolments [--status pending|approved|denied|granted] | enrolments approve|deny ID\n"
		"  report --wave W [--format csv|json]\n"
		"  fallback reveal DEVICE --reason TEXT\n"
		"  audit [--target T]\n"
		"  tokens list | tokens create NAME --role admin|operator|helpdesk|auditor | tokens revoke NAME\n"
		"Environment: FERRY_SERVER, FERRY_CA, FERRY_PIN, FERRY_TOKEN_FILE.\n"
		"Times: Unix seconds or YYYY-MM-DDTHH:MM:SSZ.\n");
	return 64;
}

const char *admin_opt(struct admin *a, const char *name)
{
	for (int i = 0; i + 1 < a->argc; i++)
		if (!strcmp(a->argv[i], name))
			return a->argv[i + 1];
	return NULL;
}

int admin_call(struct admin *a, const char *method, const char *path, const char *body,
	       size_t len, int raw)
{
	struct net_reply r = { 0 };
	ferry_err rc = net_http(&r, &a->cfg, method, path, a->token, body, len, NULL);
	int code = 1;

	if (rc) {
		fprintf(stderr, "ferry-admin: %s %s: %s (%s)\n", method, path, ferry_error_detail(),
			ferry_strerror(rc));
		goto out;
	}
	if (r.status < 200 || r.status > 299) {
		cJSON *j = cJSON_ParseWithLength((const char *)r.body.data, r.body.len);
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");

		fprintf(stderr, "ferry-admin: HTTP %ld: %s\n", r.status,
			cJSON_IsString(e) ? e->valuestring : "(no reason given)");
		cJSON_Delete(j);
		goto out;
	}
	code = 0;
	if (raw || !r.body.len) {
		fwrite(r.body.data, 1, r.body.len, stdout);
	} else {
		cJSON *j = cJSON_ParseWithLength((const char *)r.body.data, r.body.len);
		char *text = j ? cJSON_Print(j) : NULL;

		if (text) {
			puts(text);
			ferry_wipe(text, strlen(text));
		} else {
			fwrite(r.body.data, 1, r.body.len, stdout);
		}
		cJSON_free(text);
		cJSON_Delete(j);
	}
out:
	net_reply_free(&r);
	return code;
}

static int read_token(struct admin *a, const char *path)
{
	FILE *f = fopen(path, "rb");
	char buf[512];
	size_t n;
	ferry_err rc;

	if (!f) {
		fprintf(stderr, "ferry-admin: token file %s: cannot be read\n", path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	if (!n || n >= sizeof(buf) - 1) {
		fprintf(stderr, "ferry-admin: token file %s: empty or too long\n", path);
		ferry_wipe(buf, sizeof(buf));
		return 1;
	}
	rc = ferry_secret_from(&a->token, buf, n);
	ferry_wipe(buf, sizeof(buf));
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct admin a = { 0 };
	const char *server = getenv("FERRY_SERVER"), *ca = getenv("FERRY_CA");
	const char *pin = getenv("FERRY_PIN"), *tokf = getenv("FERRY_TOKEN_FILE");
	int i = 1, code;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("ferry-admin %s\n", FERRY_VERSION);
		return 0;
	}
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		if (!strcmp(argv[i], "--server"))
			server = argv[i + 1];
		else if (!strcmp(argv[i], "--ca"))
			ca = argv[i + 1];
		else if (!strcmp(argv[i], "--pin"))
			pin = argv[i + 1];
		else if (!strcmp(argv[i], "--token-file"))
			tokf = argv[i + 1];
		else
			return admin_usage();
	}
	if (i >= argc)
		return admin_usage();
	if (i + 1 < argc && !strcmp(argv[i], "odj") && !strcmp(argv[i + 1], "delegation")) {
		/* local: prints the grants, talks to no server */
		a.argc = argc - i;
		a.argv = argv + i;
		return admin_delegation(&a);
	}
	if (!server || !tokf) {
		fprintf(stderr, "ferry-admin: the server URL and a token file are needed (--server, "
			"--token-file or FERRY_SERVER, FERRY_TOKEN_FILE)\n");
		return 64;
	}
	if (net_global_init() || read_token(&a, tokf))
		return 1;
	net_config_defaults(&a.cfg);
	a.cfg.server = server;
	a.cfg.ca_file = ca && *ca ? ca : NULL;
	a.cfg.pin = pin && *pin ? pin : NULL;
	a.cfg.max_reply = 512u * 1024u * 1024u;
	a.argc = argc - i;
	a.argv = argv + i;
	code = admin_run(&a);
	ferry_secret_free(a.token);
	return code;
}
