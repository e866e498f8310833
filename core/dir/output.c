/*
 * The builder's two files. table.csv is what `ferry acl` and the service
 * already read (core/sec/table_load.c), opened by one comment line that
 * carries the SHA-256 of everything after it:
 *
 *   # ferry-table 1 sha256=<64 hex>
 *   # source SOURCE (source.test, S-1-5-21-...) target TARGET (...)
 *   # 2153 pairs; 12 findings in the report
 *   source_sid,target_sid,source_name,target_name
 *   S-1-5-21-...-1105,S-1-5-21-...-2105,SOURCE\jdoe,TARGET\jdoe
 *
 * report.csv is one row per finding under a header naming the columns.
 */
#include <string.h>

#include "dir/build_internal.h"
#include "dir/dir_internal.h"
#include "util/buf.h"
#include "util/mem.h"

#define OUT_MAX ((size_t)1 << 30)
#define NAME_CHARS (DIR_MAX_VALUE + 64)

static ferry_err put_row(struct ferry_buf *b, const char *const *f, size_t n)
{
	ferry_err rc = FERRY_OK;

	for (size_t i = 0; rc == FERRY_OK && i < n; i++)
		rc = dir_csv_put(b, f[i], i + 1 == n);
	return rc;
}

ferry_err dir_table_csv(char **out, size_t *len, char hash[65], const struct dir_build *b,
                        const struct dir_snapshot *src, const struct dir_snapshot *dst)
{
	struct ferry_buf body, all;
	char sname[NAME_CHARS], dname[NAME_CHARS];
	ferry_err rc;

	*out = NULL;
	*len = 0;
	ferry_buf_init(&body, OUT_MAX);
	ferry_buf_init(&all, OUT_MAX);
	rc = ferry_buf_printf(&body, "# source %s (%s, %s) target %s (%s, %s)\n", src->netbios,
	                      src->domain, src->domain_sid, dst->netbios, dst->domain,
	                      dst->domain_sid);
	if (rc == FERRY_OK)
		rc = ferry_buf_printf(&body, "# %zu pairs; %zu findings in the report\n"
		                             "source_sid,target_sid,source_name,target_name\n",
		                      b->n_pairs, b->n_findings);
	for (size_t i = 0; rc == FERRY_OK && i < b->n_pairs; i++) {
		const char *f[4] = {src->obj[b->pairs[i].src].sid, dst->obj[b->pairs[i].dst].sid,
		                    dir_account_name(sname, sizeof(sname), src, b->pairs[i].src),
		                    dir_account_name(dname, sizeof(dname), dst, b->pairs[i].dst)};
		rc = put_row(&body, f, 4);
	}
	if (rc == FERRY_OK)
		rc = dir_sha256_hex(hash, body.data, body.len);
	if (rc == FERRY_OK)
		rc = ferry_buf_printf(&all, "%s%s\n", DIR_TABLE_MAGIC, hash);
	if (rc == FERRY_OK)
		rc = ferry_buf_append(&all, body.data, body.len);
	ferry_buf_free(&body);
	if (rc != FERRY_OK) {
		ferry_buf_free(&all);
		return rc;
	}
	*out = (char *)ferry_buf_detach(&all, len);
	return FERRY_OK;
}

ferry_err dir_table_verify(char hash[65], const char *text, size_t len)
{
	size_t m = strlen(DIR_TABLE_MAGIC);
	char want[65];
	ferry_err rc;

	if (len < m + 65 || memcmp(text, DIR_TABLE_MAGIC, m) || text[m + 64] != '\n')
		return ferry_error_set(FERRY_ECORRUPT,
		                       "table: no \"%s<sha256>\" first line (not built by ferry table "
		                       "build?)",
		                       DIR_TABLE_MAGIC);
	memcpy(hash, text + m, 64);
	hash[64] = 0;
	if ((rc = dir_sha256_hex(want, text + m + 65, len - m - 65)) != FERRY_OK)
		return rc;
	if (strcmp(want, hash))
		return ferry_error_set(FERRY_EMISMATCH,
		                       "table: content does not match its sha256 line (edited after it "
		                       "was built)");
	return FERRY_OK;
}

ferry_err dir_report_csv(char **out, size_t *len, const struct dir_build *b,
                         const struct dir_snapshot *src, const struct dir_snapshot *dst)
{
	static const char *const header[] = {"reason",     "severity",    "kind",
	                                     "source_name", "source_sid", "target_name",
	                                     "target_sid",  "rule",       "detail"};
	struct ferry_buf r;
	char sname[NAME_CHARS], dname[NAME_CHARS];
	ferry_err rc;

	*out = NULL;
	*len = 0;
	ferry_buf_init(&r, OUT_MAX);
	rc = put_row(&r, header, 9);
	for (size_t i = 0; rc == FERRY_OK && i < b->n_findings; i++) {
		const struct dir_finding *f = &b->findings[i];
		const char *row[9];

		row[0] = dir_reason_name(f->reason);
		row[1] = dir_reason_severity(f->reason);
		row[2] = f->src != DIR_NONE ? dir_kind_name(src->obj[f->src].kind) : "";
		row[3] = f->src != DIR_NONE ? dir_account_name(sname, sizeof(sname), src, f->src) : "";
		row[4] = f->src != DIR_NONE ? src->obj[f->src].sid : "";
		row[5] = f->dst != DIR_NONE ? dir_account_name(dname, sizeof(dname), dst, f->dst) : "";
		row[6] = f->dst != DIR_NONE ? dst->obj[f->dst].sid : "";
		row[7] = f->rule ? f->rule : "";
		row[8] = f->detail;
		rc = put_row(&r, row, 9);
	}
	if (rc != FERRY_OK) {
		ferry_buf_free(&r);
		return rc;
	}
	*out = (char *)ferry_buf_detach(&r, len);
	return FERRY_OK;
}
