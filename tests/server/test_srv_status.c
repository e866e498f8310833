/* server/srv_status: report validation, the funnel, and the stuck rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "srv_status.h"

static ferry_err check(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	uint64_t seq;
	const char *phase;
	ferry_err rc = srv_status_check(j, &seq, &phase);

	cJSON_Delete(j);
	return rc;
}

static void test_srv_status__valid_and_invalid_reports(void **state)
{
	(void)state;
	assert_int_equal(check("{\"seq\":1,\"phase\":\"idle\"}"), FERRY_OK);
	assert_int_equal(check("{\"seq\":7,\"phase\":\"failed\",\"runbook\":\"migration\","
			       "\"step\":\"odj\",\"attempt\":2,\"error\":{\"code\":1355,\"api\":"
			       "\"NetRequestOfflineDomainJoin\",\"message\":\"no such domain\"},"
			       "\"join_state\":\"workgroup\",\"cached_users\":[\"TARGET\\\\jdoe\"],"
			       "\"reacl\":{\"files\":10,\"keys\":3},\"free_disk_mb\":1200}"), FERRY_OK);
	assert_int_equal(check("{\"seq\":0,\"phase\":\"idle\"}"), FERRY_ECORRUPT);
	assert_int_equal(check("{\"seq\":1.5,\"phase\":\"idle\"}"), FERRY_ECORRUPT);
	assert_int_equal(check("{\"seq\":1,\"phase\":\"hacked\"}"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "/phase"));
	assert_int_equal(check("{\"seq\":1,\"phase\":\"idle\",\"attempt\":-1}"), FERRY_ECORRUPT);
	assert_int_equal(check("{\"seq\":1,\"phase\":\"idle\",\"error\":{\"code\":1}}"), FERRY_ECORRUPT);
	assert_int_equal(check("{\"seq\":1,\"phase\":\"idle\",\"cached_users\":[1]}"), FERRY_ECORRUPT);
	assert_int_equal(check("{\"seq\":1,\"phase\":\"idle\",\"reacl\":{\"files\":\"x\"}}"),
			 FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "/reacl/files"));
}

static cJSON *dev(const char *agent, const char *phase, int stage, int blob, long seen,
		  long progress)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "agent", agent);
	cJSON_AddStringToObject(d, "phase", phase);
	cJSON_AddNumberToObject(d, "stage", stage);
	cJSON_AddNumberToObject(d, "blob", blob);
	cJSON_AddNumberToObject(d, "last_seen", (double)seen);
	cJSON_AddNumberToObject(d, "progress_at", (double)progress);
	return d;
}

static void test_srv_status__funnel_and_stuck_rule(void **state)
{
	cJSON *list = cJSON_CreateArray(), *f;
	const long now = 1000000;

	(void)state;
	cJSON_AddItemToArray(list, dev("", "", 0, 0, 0, 0));                    /* expected */
	cJSON_AddItemToArray(list, dev("a", "idle", 1, 1, now, now));           /* blob ready */
	cJSON_AddItemToArray(list, dev("b", "joined", 5, 0, now, now));         /* joined */
	cJSON_AddItemToArray(list, dev("c", "complete", 7, 0, now - 99999999, now)); /* complete */
	cJSON_AddItemToArray(list, dev("d", "failed", 4, 0, now, now));         /* unjoined, stopped */
	cJSON_AddItemToArray(list, dev("e", "migrating", 2, 0, now - 4 * 86400, now)); /* lost */
	cJSON_AddItemToArray(list, dev("g", "migrating", 2, 0, now, now - 25 * 3600)); /* no progress */
	f = srv_funnel(list, "w", now, 24 * 3600, 3 * 86400);
	assert_int_equal(cJSON_GetObjectItem(f, "expected")->valueint, 7);
	assert_int_equal(cJSON_GetObjectItem(f, "enrolled")->valueint, 6);
	assert_int_equal(cJSON_GetObjectItem(f, "credentials_cached")->valueint, 6);
	assert_int_equal(cJSON_GetObjectItem(f, "blob_ready")->valueint, 4);
	assert_int_equal(cJSON_GetObjectItem(f, "unjoined")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(f, "joined")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(f, "complete")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(f, "stopped")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(f, "stuck")->valueint, 2);
	assert_string_equal(srv_device_state(cJSON_GetArrayItem(list, 0), now, 86400, 259200),
			    "waiting");
	assert_string_equal(srv_device_state(cJSON_GetArrayItem(list, 3), now, 86400, 259200),
			    "complete"); /* complete is never stuck, however long unseen */
	assert_string_equal(srv_device_state(cJSON_GetArrayItem(list, 1), now, 86400, 259200),
			    "active");
	cJSON_Delete(f);
	cJSON_Delete(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srv_status__valid_and_invalid_reports),
		cmocka_unit_test(test_srv_status__funnel_and_stuck_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
