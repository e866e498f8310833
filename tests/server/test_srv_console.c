/*
 * server/srv_console*: the HTML writer escapes every outside string, the
 * form decoder refuses what is malformed, and the store ops the console
 * reads (sessions, device rows, timeline, audit pages) keep their rules,
 * on a real SQLite file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "srv_console.h"
#include "srv_test_store.h"
#include "srv_status.h"

#define H(c) "000000000000000000000000000000000000000000000000000000000000000" c

/* --- HTML and forms --------------------------------------------------------------------- */

static char *render(void (*fn)(struct con *, const char *), const char *text)
{
	struct srv_reply rp = { 0 };
	struct con c = { .rp = &rp };
	char *out;

	ferry_buf_init(&rp.body, 1u << 20);
	fn(&c, text);
	out = calloc(1, rp.body.len + 1);
	memcpy(out, rp.body.data, rp.body.len);
	ferry_buf_free(&rp.body);
	return out;
}

static void test_srv_console__escapes_outside_text(void **state)
{
	char *s = render(con_text, "<script>x('a')</script> & \"q\"\x01\x7f\xc3\xa9");

	(void)state;
	assert_string_equal(s, "&lt;script&gt;x(&#39;a&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
			       "\xEF\xBF\xBD\xEF\xBF\xBD\xc3\xa9");
	free(s);
}

static void test_srv_console__url_encodes_all_but_unreserved(void **state)
{
	char *s = render(con_url, "a b/<\"&>?=#%\\z-_.~");

	(void)state;
	assert_string_equal(s, "a%20b%2F%3C%22%26%3E%3F%3D%23%25%5Cz-_.%7E");
	free(s);
}

static void test_srv_console__form_decodes_values(void **state)
{
	static const char f[] = "csrf=ab&reason=ticket+4711%3A+%3Cb%3E&device=PC-1&empty=";
	char v[64];

	(void)state;
	assert_true(con_form_get(v, sizeof(v), f, strlen(f), "reason"));
	assert_string_equal(v, "ticket 4711: <b>");
	assert_true(con_form_get(v, sizeof(v), f, strlen(f), "device"));
	assert_string_equal(v, "PC-1");
	assert_true(con_form_get(v, sizeof(v), f, strlen(f), "empty"));
	assert_string_equal(v, "");
	assert_false(con_form_get(v, sizeof(v), f, strlen(f), "csr"));
	assert_false(con_form_get(v, sizeof(v), f, strlen(f), "missing"));
}

static void test_srv_console__form_refuses_malformed(void **state)
{
	char v[8];

	(void)state;
	assert_false(con_form_get(v, sizeof(v), "a=%4", 4, "a"));       /* cut escape */
	assert_false(con_form_get(v, sizeof(v), "a=%zz", 5, "a"));      /* not hex */
	assert_false(con_form_get(v, sizeof(v), "a=x%00y", 7, "a"));    /* a NUL */
	assert_false(con_form_get(v, sizeof(v), "a=12345678", 10, "a")); /* longer than cap - 1 */
	assert_true(con_form_get(v, sizeof(v), "a=1234567", 9, "a"));
	assert_string_equal(v, "1234567");
	/* the length bounds the read: a value past len is not seen */
	assert_false(con_form_get(v, sizeof(v), "b=1&a=2", 3, "a"));
}

/* --- store ops -------------------------------------------------------------------------- */

static int setup(void **state)
{
	return srv_test_fx_setup(state, "console");
}

static int teardown(void **state)
{
	return srv_test_fx_teardown(state);
}

static void test_srv_console__session_ends_with_token_or_time(void **state)
{
	struct srv_test_fx *f = *state;
	const struct srv_store_ops *o = f->st->ops;
	struct srv_session s;

	assert_int_equal(o->token_add(f->st, "alice", "helpdesk", H("a"), 10), FERRY_OK);
	assert_int_equal(o->session_add(f->st, H("1"), H("a"), H("c"), 100, 200), FERRY_OK);
	assert_int_equal(o->session_get(f->st, &s, H("1"), 150), FERRY_OK);
	assert_string_equal(s.who.name, "alice");
	assert_string_equal(s.who.role, "helpdesk");
	assert_string_equal(s.csrf, H("c"));
	assert_int_equal(o->session_get(f->st, &s, H("1"), 200), FERRY_ENOTFOUND); /* expired */
	assert_int_equal(o->session_get(f->st, &s, H("2"), 150), FERRY_ENOTFOUND); /* unknown */
	assert_int_equal(o->token_revoke(f->st, "alice"), FERRY_OK);
	assert_int_equal(o->session_get(f->st, &s, H("1"), 150), FERRY_ENOTFOUND); /* revoked */
	/* a new session drops the expired ones */
	assert_int_equal(o->token_add(f->st, "bob", "admin", H("b"), 10), FERRY_OK);
	assert_int_equal(o->session_add(f->st, H("3"), H("b"), H("d"), 300, 400), FERRY_OK);
	assert_int_equal(o->session_delete(f->st, H("3")), FERRY_OK);
	assert_int_equal(o->session_get(f->st, &s, H("3"), 350), FERRY_ENOTFOUND);
}

static void add_device(struct srv_test_fx *f, const char *wave, const char *dev, const char *agent,
		       const char *phase, uint64_t seq, int64_t now, const char *json)
{
	const struct srv_store_ops *o = f->st->ops;
	struct srv_enrol_req r = { .device = dev, .domain = "S", .os = "t", .agent_id = agent,
				   .token_sha256 = H("f"), .key_ok = true, .hold_reason = "t",
				   .pending_max = 3, .now = now };
	struct srv_enrol_result res;
	struct srv_status st = { .seq = seq, .phase = phase, .stage = srv_phase_stage(phase),
				 .progressed = true, .json = json };
	bool added, dup;

	memset(r.public_key, dev[strlen(dev) - 1], 32);
	assert_int_equal(o->device_add(f->st, &added, wave, dev, now), FERRY_OK);
	if (!agent)
		return;
	assert_int_equal(o->enrol(f->st, &res, &r), FERRY_OK);
	assert_int_equal(o->status_add(f->st, &dup, dev, &st, now), FERRY_OK);
}

static void test_srv_console__device_rows_and_states(void **state)
{
	struct srv_test_fx *f = *state;
	struct srv_device_row *v = NULL, r;
	size_t n = 0;

	assert_int_equal(f->st->ops->wave_add(f->st, "w1", 1), FERRY_OK);
	add_device(f, "w1", "PC-B", "agentb", "failed", 1, 1000,
		   "{\"seq\":1,\"phase\":\"failed\",\"error\":{\"code\":5,\"api\":\"X\","
		   "\"message\":\"denied <b>\"}}");
	add_device(f, "w1", "PC-A", "agenta", "migrating", 1, 1000,
		   "{\"seq\":1,\"phase\":\"migrating\"}");
	add_device(f, "w1", "PC-C", NULL, NULL, 0, 1000, NULL);
	assert_int_equal(f->st->ops->device_rows(f->st, &v, &n, "w1", false), FERRY_OK);
	assert_int_equal(n, 3);
	assert_string_equal(v[1].error, ""); /* not read */
	ferry_free(v);
	assert_int_equal(f->st->ops->device_rows(f->st, &v, &n, "w1", true), FERRY_OK);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "PC-A"); /* name order */
	assert_string_equal(v[1].error, "denied <b>");
	assert_string_equal(srv_row_state(&v[0], 1000 + 3600, 3600, 86400), "active");
	assert_string_equal(srv_row_state(&v[0], 1000 + 3601, 3600, 86400), "stuck");
	assert_string_equal(srv_row_state(&v[1], 1000 + 99999, 3600, 86400), "failed");
	assert_string_equal(srv_row_state(&v[2], 1000, 3600, 86400), "waiting");
	assert_int_equal(srv_row_funnel_stage(&v[0]), SRV_STAGE_CREDS);
	assert_int_equal(srv_row_funnel_stage(&v[2]), SRV_STAGE_EXPECTED);
	ferry_free(v);
	assert_int_equal(f->st->ops->device_rows(f->st, &v, &n, "w2", true), FERRY_OK);
	assert_int_equal(n, 0);
	ferry_free(v);
	assert_int_equal(f->st->ops->device_row(f->st, &r, "PC-B"), FERRY_OK);
	assert_string_equal(r.agent, "agentb");
	assert_string_equal(r.error, "denied <b>");
	assert_int_equal(f->st->ops->device_row(f->st, &r, "PC-Z"), FERRY_ENOTFOUND);
}

static void test_srv_console__timeline_keeps_every_report(void **state)
{
	struct srv_test_fx *f = *state;
	struct srv_status st = { .seq = 2, .phase = "unjoined", .stage = SRV_STAGE_UNJOINED,
				 .progressed = true, .json = "{\"seq\":2,\"phase\":\"unjoined\"}" };
	cJSON *t = NULL;
	bool dup = false;

	assert_int_equal(f->st->ops->wave_add(f->st, "w1", 1), FERRY_OK);
	add_device(f, "w1", "PC-A", "agenta", "migrating", 1, 1000,
		   "{\"seq\":1,\"phase\":\"migrating\"}");
	assert_int_equal(f->st->ops->status_add(f->st, &dup, "PC-A", &st, 1010), FERRY_OK);
	assert_int_equal(f->st->ops->status_add(f->st, &dup, "PC-A", &st, 1020), FERRY_OK);
	assert_true(dup); /* a duplicate is not history */
	assert_int_equal(f->st->ops->event_add(f->st, &dup, "agenta", "0123456789ab", 1005,
					       "odj_refused", "<x>", 1030), FERRY_OK);
	assert_int_equal(f->st->ops->device_timeline(f->st, &t, "PC-A", 10), FERRY_OK);
	assert_int_equal(cJSON_GetArraySize(t), 3);
	/* newest first: the report of 1010, the event of 1005, the report of 1000 */
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 0), "seq")), 2);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 1),
								     "detail")), "<x>");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(t, 1), "report")));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetArrayItem(t, 2), "report"), "phase")), "migrating");
	cJSON_Delete(t);
	assert_int_equal(f->st->ops->device_timeline(f->st, &t, "PC-A", 1), FERRY_OK);
	assert_int_equal(cJSON_GetArraySize(t), 1);
	cJSON_Delete(t);
}

static void test_srv_console__audit_pages_and_filter(void **state)
{
	struct srv_test_fx *f = *state;
	struct srv_principal who = { "alice", "admin" };
	cJSON *rows = NULL;
	int64_t total = 0;
	char target[16];

	for (int i = 0; i < 7; i++) {
		snprintf(target, sizeof(target), "PC-%d", i);
		assert_int_equal(f->st->ops->audit_add(f->st, &who, i % 2 ? "device.move" : "waves.list",
						       target, "HTTP 200", 100 + i), FERRY_OK);
	}
	assert_int_equal(f->st->ops->audit_page(f->st, &rows, &total, NULL, 2, 3), FERRY_OK);
	assert_int_equal(total, 7);
	assert_int_equal(cJSON_GetArraySize(rows), 3);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0),
								     "target")), "PC-4");
	cJSON_Delete(rows);
	assert_int_equal(f->st->ops->audit_page(f->st, &rows, &total, "move", 0, 50), FERRY_OK);
	assert_int_equal(total, 3);
	assert_int_equal(cJSON_GetArraySize(rows), 3);
	cJSON_Delete(rows);
}

static void test_srv_console__devices_by_user(void **state)
{
	struct srv_test_fx *f = *state;
	cJSON *names = NULL, *all = NULL;

	assert_int_equal(f->st->ops->wave_add(f->st, "w1", 1), FERRY_OK);
	add_device(f, "w1", "PC-A", "agenta", "credentials_cached", 1, 1000,
		   "{\"seq\":1,\"phase\":\"credentials_cached\",\"cached_users\":[\"TARGET\\\\JDoe\"]}");
	add_device(f, "w1", "PC-B", "agentb", "idle", 1, 1000, "{\"seq\":1,\"phase\":\"idle\"}");
	assert_int_equal(f->st->ops->devices_by_user(f->st, &names, "jdoe", 20), FERRY_OK);
	assert_int_equal(cJSON_GetArraySize(names), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(names, 0),
								     "name")), "PC-A");
	cJSON_Delete(names);
	assert_int_equal(f->st->ops->device_users(f->st, &all), FERRY_OK);
	assert_int_equal(cJSON_GetArraySize(all), 1);
	cJSON_Delete(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srv_console__escapes_outside_text),
		cmocka_unit_test(test_srv_console__url_encodes_all_but_unreserved),
		cmocka_unit_test(test_srv_console__form_decodes_values),
		cmocka_unit_test(test_srv_console__form_refuses_malformed),
		cmocka_unit_test_setup_teardown(test_srv_console__session_ends_with_token_or_time,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_console__device_rows_and_states, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_srv_console__timeline_keeps_every_report, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_srv_console__audit_pages_and_filter, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_srv_console__devices_by_user, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
