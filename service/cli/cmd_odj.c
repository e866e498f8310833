/*
 * `ferry odj`: inspect, validate and compose ODJ provisioning files.
 *
 *   ferry odj inspect FILE [--json]
 *   ferry odj validate FILE --domain D [--machine M]
 *   ferry odj compose --spec SPEC.json --out FILE
 *
 * Exit codes: 0 ok; 2 the blob decodes but is not for this domain/machine;
 * 3 the file is malformed or unreadable (or the spec is invalid); 1 the
 * output could not be written; 64 bad usage. Failures print one line on
 * stderr naming the field or byte offset. Nothing here ever prints the
 * machine password: only odj_provision_to_json's redacted view is shown.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "odj/odj.h"
#include "util/mem.h"

#define EXIT_MISMATCH 2
#define EXIT_MALFORMED 3
#define ODJ_FILE_MAX (16u * 1024u * 1024u)

/* Read a whole file into a secret (an ODJ file holds a password). */
static ferry_err read_file(struct ferry_secret **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct ferry_secret *s = NULL;
	size_t n = 0, got;
	ferry_err rc = FERRY_OK;

	*out = NULL;
	if (!f)
		return ferry_error_set(FERRY_EIO, "%s: cannot open", path);
	rc = ferry_secret_new(&s, ODJ_FILE_MAX + 1);
	if (rc)
		goto out;
	while ((got = fread(s->data + n, 1, ODJ_FILE_MAX + 1 - n, f)) > 0)
		n += got;
	if (ferror(f)) {
		rc = ferry_error_set(FERRY_EIO, "%s: read error", path);
		goto out;
	}
	if (n > ODJ_FILE_MAX) {
		rc = ferry_error_set(FERRY_ECORRUPT, "%s: larger than %u bytes", path, ODJ_FILE_MAX);
		goto out;
	}
	rc = ferry_secret_from(out, s->data, n);
out:
	ferry_secret_free(s);
	fclose(f);
	return rc;
}

/* File -> provision; on failure prints the one-line reason. */
static int load(struct odj_provision **p, const char *path)
{
	struct ferry_secret *text = NULL, *bin = NULL;
	ferry_err rc;

	rc = read_file(&text, path);
	if (!rc)
		rc = odj_text_decode(&bin, text->data, text->len);
	if (!rc)
		rc = odj_decode(p, bin->data, bin->len);
	ferry_secret_free(text);
	ferry_secret_free(bin);
	if (rc) {
		fprintf(stderr, "ferry odj: %s: %s\n", path, ferry_error_detail());
		return EXIT_MALFORMED;
	}
	return 0;
}

static void print_str(const char *label, const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	printf("  %-22s %s\n", label, cJSON_IsString(v) ? v->valuestring : "(none)");
}

enum num_style { DEC, HEX, CHARS };

static void print_num(const char *label, const cJSON *o, const char *k, enum num_style style)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	unsigned long n = cJSON_IsNumber(v) ? (unsigned long)v->valuedouble : 0;

	printf("  %-22s ", label);
	if (!cJSON_IsNumber(v))
		printf("(none)\n");
	else if (style == HEX)
		printf("0x%08lx\n", n);
	else if (style == CHARS)
		printf("%lu characters (not shown)\n", n);
	else
		printf("%lu\n", n);
}

/* The human view is printed from the same redacted JSON as --json. */
static void print_text(const cJSON *j)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "domain");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "machine");
	const cJSON *dc = cJSON_GetObjectItemCaseSensitive(j, "dc");
	const cJSON *p2 = cJSON_GetObjectItemCaseSensitive(j, "provider2");
	const cJSON *e;

	printf("ODJ provision, version 1\nblobs:\n");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "blobs"))
		printf("  %s, %lu bytes\n", cJSON_GetObjectItemCaseSensitive(e, "format")->valuestring,
		       (unsigned long)cJSON_GetObjectItemCaseSensitive(e, "size")->valuedouble);
	printf("domain:\n");
	print_str("DNS name", d, "dns_name");
	print_str("NetBIOS name", d, "netbios_name");
	print_str("forest", d, "forest_name");
	print_str("GUID", d, "guid");
	print_str("SID", d, "sid");
	printf("machine:\n");
	print_str("name", m, "name");
	print_num("password", m, "password_length", CHARS);
	print_num("RID", m, "rid", DEC);
	print_str("SID", m, "sid");
	printf("domain controller:\n");
	print_str("name", dc, "name");
	print_str("address", dc, "address");
	print_num("address type", dc, "address_type", DEC);
	print_str("domain", dc, "domain_name");
	print_str("forest", dc, "forest_name");
	print_num("flags", dc, "flags", HEX);
	print_str("DC site", dc, "site");
	print_str("client site", dc, "client_site");
	print_num("options", j, "options", HEX);
	if (cJSON_IsObject(p2)) {
		printf("provider2:\n");
		print_num("flags", p2, "flags", HEX);
		print_str("NetBIOS name", p2, "netbios_name");
		print_str("site", p2, "site");
		print_str("primary DNS domain", p2, "primary_dns_domain");
	}
	printf("parts:\n");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "parts"))
		printf("  %-14s %s%s, %lu bytes\n",
		       cJSON_GetObjectItemCaseSensitive(e, "type")->valuestring,
		       cJSON_GetObjectItemCaseSensitive(e, "guid")->valuestring,
		       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "essential")) ? " (essential)" : "",
		       (unsigned long)cJSON_GetObjectItemCaseSensitive(e, "size")->valuedouble);
}

static int odj_inspect(int argc, char **argv)
{
	const char *path = NULL;
	bool json = false;
	struct odj_provision *p = NULL;
	cJSON *j = NULL;
	char *text = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			path = NULL, i = argc;
	}
	if (!path) {
		fprintf(stderr, "usage: ferry odj inspect FILE [--json]\n");
		return CLI_EXIT_USAGE;
	}
	rc = load(&p, path);
	if (rc)
		return rc;
	if (odj_provision_to_json(&j, p) || (json && !(text = cJSON_PrintUnformatted(j)))) {
		fprintf(stderr, "ferry odj: out of memory\n");
		rc = 1;
	} else if (json) {
		printf("%s\n", text);
	} else {
		print_text(j);
	}
	cJSON_free(text);
	cJSON_Delete(j);
	odj_provision_free(p);
	return rc;
}

static int odj_validate_cmd(int argc, char **argv)
{
	const char *path = NULL, *domain = NULL, *machine = NULL;
	struct odj_provision *p = NULL;
	ferry_err err;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--domain") && i + 1 < argc)
			domain = argv[++i];
		else if (!strcmp(argv[i], "--machine") && i + 1 < argc)
			machine = argv[++i];
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			domain = NULL, i = argc;
	}
	if (!path || !domain) {
		fprintf(stderr, "usage: ferry odj validate FILE --domain D [--machine M]\n");
		return CLI_EXIT_USAGE;
	}
	rc = load(&p, path);
	if (rc)
		return rc;
	err = odj_validate(p, domain, machine);
	if (err == FERRY_OK) {
		printf("ferry odj: %s: valid\n", path);
	} else {
		fprintf(stderr, "ferry odj: %s: %s\n", path, ferry_error_detail());
		rc = err == FERRY_EMISMATCH ? EXIT_MISMATCH : EXIT_MALFORMED;
	}
	odj_provision_free(p);
	return rc;
}

/* The spec holds the password: wipe that string before cJSON frees it. */
static void spec_free(cJSON *spec)
{
	const cJSON *pw = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(spec, "machine"), "password");

	if (cJSON_IsString(pw))
		ferry_wipe(pw->valuestring, strlen(pw->valuestring));
	cJSON_Delete(spec);
}

static int write_file(const char *path, const struct ferry_secret *s)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f) {
		fprintf(stderr, "ferry odj: %s: cannot create\n", path);
		return 1;
	}
	ok = fwrite(s->data, 1, s->len, f) == s->len;
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "ferry odj: %s: write error\n", path);
		remove(path);
		return 1;
	}
	return 0;
}

static int odj_compose(int argc, char **argv)
{
	const char *spec_path = NULL, *out_path = NULL;
	struct ferry_secret *raw = NULL, *bin = NULL, *text = NULL;
	struct odj_provision *p = NULL;
	cJSON *spec = NULL;
	int rc = EXIT_MALFORMED;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--spec") && i + 1 < argc)
			spec_path = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out_path = argv[++i];
		else
			spec_path = NULL, i = argc;
	}
	if (!spec_path || !out_path) {
		fprintf(stderr, "usage: ferry odj compose --spec SPEC.json --out FILE\n");
		return CLI_EXIT_USAGE;
	}
	if (read_file(&raw, spec_path)) {
		fprintf(stderr, "ferry odj: %s\n", ferry_error_detail());
		goto out;
	}
	spec = cJSON_ParseWithLength((const char *)raw->data, raw->len);
	if (!spec) {
		fprintf(stderr, "ferry odj: %s: not valid JSON\n", spec_path);
		goto out;
	}
	if (odj_provision_from_json(&p, spec) || odj_encode(&bin, p) ||
	    odj_text_encode(&text, bin->data, bin->len)) {
		fprintf(stderr, "ferry odj: %s: %s\n", spec_path, ferry_error_detail());
		goto out;
	}
	rc = write_file(out_path, text);
out:
	spec_free(spec);
	odj_provision_free(p);
	ferry_secret_free(raw);
	ferry_secret_free(bin);
	ferry_secret_free(text);
	return rc;
}

int cmd_odj(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "inspect"))
		return odj_inspect(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "validate"))
		return odj_validate_cmd(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "compose"))
		return odj_compose(argc - 1, argv + 1);
	fprintf(stderr, "usage: ferry odj inspect FILE [--json]\n"
			"       ferry odj validate FILE --domain D [--machine M]\n"
			"       ferry odj compose --spec SPEC.json --out FILE\n");
	return CLI_EXIT_USAGE;
}
