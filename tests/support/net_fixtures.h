/*
 * Fixtures of the core/net suites (natively and under Wine): a scratch
 * folder (make_dir/remove_dir as mkdir(2)/_mkdir) and the sample documents
 * of resources/samples as cJSON. Include after <cmocka.h>.
 */
#ifndef FERRY_TEST_NET_FIXTURES_H
#define FERRY_TEST_NET_FIXTURES_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "runbook/runbook.h"
#include "util/mem.h"

#include "test_dirs.h"

#define NET_SAMPLES FERRY_TEST_DATA "/../../resources/samples/"

/* resources/samples/<name>, parsed (the test fails when it cannot be). */
static inline cJSON *sample(const char *name)
{
	char path[512], *text = NULL;
	size_t len = 0;
	cJSON *j;

	snprintf(path, sizeof(path), NET_SAMPLES "%s", name);
	assert_int_equal(rb_read_file(&text, &len, path, 1u << 20), FERRY_OK);
	j = cJSON_ParseWithLength(text, len);
	ferry_free(text);
	assert_non_null(j);
	return j;
}

/* Whether <dir>/<name> can be opened. */
static inline bool file_in(const char *dir, const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "rb")))
		return false;
	fclose(f);
	return true;
}

#endif
