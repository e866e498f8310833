/* ferry-admin's commands: each builds one admin API request (docs/server.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "admin.h"
#include "provision.h"
#include "util/mem.h"

#define FILE_MAX (64u * 1024u * 1024u)

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (!f) {
		fprintf(stderr, "ferry-admin: %s: cannot be read\n", path);
		return NULL;
	}
	buf = ferry_malloc(FILE_MAX + 1);
	if (buf)
		n = fread(buf, 1, FILE_MAX + 1, f);
	fclose(f);
	if (!buf || n > FILE_MAX) {
		fprintf(stderr, "ferry-admin: %s: larger than %u bytes\n", path, FILE_MAX);
		ferry_free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Names go into paths and queries: refuse what would need escaping. */
static int plain(const char *s, const char *what)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.')) {
			fprintf(stderr, "ferry-admin: %s '%s': only A-Z a-z 0-9 . _ - are allowed\n",
				what, s);
			return 0;
		}
	return *s != '\0';
}

static int call_json(struct admin *a, const char *method, const char *path, cJSON *body)
{
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	int code;

	if (body && !text) {
		cJSON_Delete(body);
		return 1;
	}
	code = admin_call(a, method, path, text, text ? strlen(text) : 0, 0);
	if (text)
		ferry_wipe(text, strlen(text));
	cJSON_free(text);
	cJSON_Delete(body);
	return code;
}

static int waves(struct admin *a)
{
	const char *sub = a->argc > 1 ? a->argv[1] : "list";
	char path[512];

	if (!strcmp(sub, "list"))
		return admin_call(a, "GET", "/v1/admin/waves", NULL, 0, 0);
	if (a->argc < 3 || !plain(a->argv[2], "wave"))
		return admin_usage();
	if (!strcmp(sub, "create")) {
		cJSON *b = cJSON_CreateObject();

		cJSON_AddStringToObject(b, "name", a->argv[2]);
		return call_json(a, "POST", "/v1/admin/waves", b);
	}
	if (!strcmp(sub, "add-devices")) {
		const char *csv = admin_opt(a, "--csv");
		cJSON *b = cJSON_CreateObject();

		snprintf(path, sizeof(path), "/v1/admin/waves/%s/devices", a->argv[2]);
		if (csv) {
			size_t n = 0;
			char *text = slurp(csv, &n);

			if (!text) {
				cJSON_Delete(b);
				return 1;
			}
			cJSON_AddStringToObject(b, "csv", text);
			ferry_free(text);
		} else {
			cJSON *names = cJSON_AddArrayToObject(b, "names");

			for (int i = 3; i < a->argc; i++)
				cJSON_AddItemToArray(names, cJSON_CreateString(a->argv[i]));
		}
		return call_json(a, "POST", path, b);
	}
	if (!strcmp(sub, "runbook") && a->argc >= 4 && plain(a->argv[3], "runbook")) {
		const char *from = admin_opt(a, "--available-from");
		const char *enf = admin_opt(a, "--enforced-after");
		cJSON *b;

		if (!from || !enf)
			return admin_usage();
		b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "available_from", from);
		cJSON_AddStringToObject(b, "enforced_after", enf);
		snprintf(path, sizeof(path), "/v1/admin/waves/%s/runbooks/%s", a->argv[2], a->argv[3]);
		return call_json(a, "PUT", path, b);
	}
	if (!strcmp(sub, "bundle") && a->argc >= 4) {
		size_t n = 0;
		char *text = slurp(a->argv[3], &n);
		int code;

		if (!text)
			return 1;
		snprintf(path, sizeof(path), "/v1/admin/waves/%s/bundle", a->argv[2]);
		code = admin_call(a, "PUT", path, text, n, 0);
		ferry_free(text);
		return code;
	}
	return admin_usage();
}

static int devices(struct admin *a)
{
	char path[512];
	const char *wave = admin_opt(a, "--wave"), *state = admin_opt(a, "--state");

	if (a->argc >= 3 && !strcmp(a->argv[1], "move")) {
		cJSON *b;

		if (!wave || !plain(a->argv[2], "device") || !plain(wave, "wave"))
			return admin_usage();
		b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "wave", wave);
		snprintf(path, sizeof(path), "/v1/admin/devices/%s/move", a->argv[2]);
		return call_json(a, "POST", path, b);
	}
	if ((wave && !plain(wave, "wave")) || (state && !plain(state, "state")))
		return 1;
	snprintf(path, sizeof(path), "/v1/admin/devices%s%s%s%s%s", wave || state ? "?" : "",
		 wave ? "wave=" : "", wave ? wave : "", wave && state ? "&" : "",
		 state ? "" : "");
	if (state) {
		size_t n = strlen(path);

		snprintf(path + n, sizeof(path) - n, "state=%s", state);
	}
	return admin_call(a, "GET", path, NULL, 0, 0);
}

static int odj(struct admin *a)
{
	char path[512];
	size_t n = 0;
	char *blob;
	int code;

	if (a->argc < 4 || strcmp(a->argv[1], "import") || !plain(a->argv[2], "device"))
		return admin_usage();
	blob = slurp(a->argv[3], &n);
	if (!blob)
		return 1;
	snprintf(path, sizeof(path), "/v1/admin/devices/%s/odj", a->argv[2]);
	code = admin_call(a, "PUT", path, blob, n, 0);
	ferry_wipe(blob, n);
	ferry_free(blob);
	return code;
}

int admin_delegation(struct admin *a)
{
	struct prov_delegation d = { .ou = admin_opt(a, "--ou"), .account = admin_opt(a, "--account"),
				     .account_sid = admin_opt(a, "--sid"), .dc = admin_opt(a, "--dc") };
	ferry_err rc;

	if (!d.ou || !d.account || !d.account_sid)
		return admin_usage();
	rc = prov_delegation_print(stdout, &d);
	if (rc) {
		fprintf(stderr, "ferry-admin: odj delegation: %s (%s)\n", ferry_error_detail(),
			ferry_strerror(rc));
		return 1;
	}
	return 0;
}

static int enrolments(struct admin *a)
{
	char path[256];
	const char *status = admin_opt(a, "--status");

	if (a->argc >= 3 && (!strcmp(a->argv[1], "approve") || !strcmp(a->argv[1], "deny"))) {
		if (!plain(a->argv[2], "enrolment id"))
			return 1;
		snprintf(path, sizeof(path), "/v1/admin/enrolments/%s/%s", a->argv[2], a->argv[1]);
		return admin_call(a, "POST", path, NULL, 0, 0);
	}
	if (status && !plain(status, "status"))
		return 1;
	snprintf(path, sizeof(path), "/v1/admin/enrolments%s%s", status ? "?status=" : "",
		 status ? status : "");
	return admin_call(a, "GET", path, NULL, 0, 0);
}

static int report(struct admin *a)
{
	const char *wave = admin_opt(a, "--wave"), *format = admin_opt(a, "--format");
	char path[256];

	if (!wave || !plain(wave, "wave") || (format && !plain(format, "format")))
		return admin_usage();
	snprintf(path, sizeof(path), "/v1/admin/report?wave=%s&format=%s", wave,
		 format ? format : "json");
	return admin_call(a, "GET", path, NULL, 0, format && !strcmp(format, "csv"));
}

static int fallback(struct admin *a)
{
	const char *reason = admin_opt(a, "--reason");
	char path[256];
	cJSON *b;

	if (a->argc < 3 || strcmp(a->argv[1], "reveal") || !reason || !plain(a->argv[2], "device"))
		return admin_usage();
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "reason", reason);
	snprintf(path, sizeof(path), "/v1/admin/devices/%s/fallback/reveal", a->argv[2]);
	return call_json(a, "POST", path, b);
}

static int catalog(struct admin *a)
{
	size_t n = 0;
	char *text;
	int code;

	if (a->argc < 3 || strcmp(a->argv[1], "upload"))
		return admin_usage();
	text = slurp(a->argv[2], &n);
	if (!text)
		return 1;
	code = admin_call(a, "PUT", "/v1/admin/catalog", text, n, 0);
	ferry_free(text);
	return code;
}

/* table import --source S --target T [--rules R] [--overrides O] | table status */
static int table(struct admin *a)
{
	static const char *const files[][2] = {
		{ "--source", "source" }, { "--target", "target" },
		{ "--rules", "rules" }, { "--overrides", "overrides" },
	};
	cJSON *b;

	if (a->argc == 2 && !strcmp(a->argv[1], "status"))
		return admin_call(a, "GET", "/v1/admin/table", NULL, 0, 0);
	if (a->argc < 2 || strcmp(a->argv[1], "import") || !admin_opt(a, "--source") ||
	    !admin_opt(a, "--target"))
		return admin_usage();
	b = cJSON_CreateObject();
	for (size_t i = 0; b && i < sizeof(files) / sizeof(files[0]); i++) {
		const char *path = admin_opt(a, files[i][0]);
		size_t n = 0;
		char *text;

		if (!path)
			continue;
		text = slurp(path, &n);
		if (!text || strlen(text) != n) {
			if (text)
				fprintf(stderr, "ferry-admin: %s: holds a NUL byte\n", path);
			ferry_free(text);
			cJSON_Delete(b);
			return 1;
		}
		cJSON_AddStringToObject(b, files[i][1], text);
		ferry_free(text);
	}
	return call_json(a, "PUT", "/v1/admin/table", b);
}

static int audit(struct admin *a)
{
	const char *target = admin_opt(a, "--target");
	char path[256];

	if (target && !plain(target, "target"))
		return 1;
	snprintf(path, sizeof(path), "/v1/admin/audit%s%s", target ? "?target=" : "",
		 target ? target : "");
	return admin_call(a, "GET", path, NULL, 0, 0);
}

static int tokens(struct admin *a)
{
	const char *role = admin_opt(a, "--role");
	cJSON *b;

	if (a->argc < 2 || !strcmp(a->argv[1], "list"))
		return admin_call(a, "GET", "/v1/admin/tokens", NULL, 0, 0);
	if (!strcmp(a->argv[1], "revoke") && a->argc >= 3 && plain(a->argv[2], "name")) {
		char path[128];

		snprintf(path, sizeof(path), "/v1/admin/tokens/%s", a->argv[2]);
		return admin_call(a, "DELETE", path, NULL, 0, 0);
	}
	if (strcmp(a->argv[1], "create") || a->argc < 3 || !role || !plain(a->argv[2], "name"))
		return admin_usage();
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "name", a->argv[2]);
	cJSON_AddStringToObject(b, "role", role);
	return call_json(a, "POST", "/v1/admin/tokens", b);
}

int admin_run(struct admin *a)
{
	static const struct {
		const char *name;
		int (*fn)(struct admin *a);
	} cmds[] = {
		{ "waves", waves }, { "devices", devices }, { "odj", odj },
		{ "enrolments", enrolments }, { "report", report }, { "fallback", fallback },
		{ "audit", audit }, { "tokens", tokens }, { "catalog", catalog },
		{ "table", table },
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(a->argv[0], cmds[i].name))
			return cmds[i].fn(a);
	return admin_usage();
}
