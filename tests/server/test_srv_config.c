/* server/srv_config: ferry-server.conf parsing, its errors (what, where), and small helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "srv.h"

#define PUB "signing_public_key = 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"

static ferry_err parse(struct srv_config *c, const char *text)
{
	srv_config_defaults(c, "/srv/ferry");
	return srv_config_parse(c, text, strlen(text), "ferry-server.conf");
}

static void test_srv_config__reads_known_keys_over_defaults(void **state)
{
	struct srv_config c;

	(void)state;
	assert_int_equal(parse(&c, "# comment\n[server]\nname = mig.example.org\n"
				  "listen = [::1]:9443\r\nthreads = 4\npoll_interval_s=600\n"
				  "log_polls = true\n[keys]\n" PUB "[enrolment]\nwithout_key = hold\n"),
			 FERRY_OK);
	assert_string_equal(c.name, "mig.example.org");
	assert_string_equal(c.listen, "[::1]:9443");
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.poll_interval_s, 600);
	assert_true(c.log_polls);
	assert_int_equal(c.without_key, SRV_ENROL_HOLD);
	assert_string_equal(c.db_path, "ferry.db");   /* a default kept */
	assert_int_equal(c.stuck_after_h, 24);
}

static void test_srv_config__errors_name_file_line_and_key(void **state)
{
	struct srv_config c;

	(void)state;
	assert_int_equal(parse(&c, "[keys]\n" PUB "[server]\nthreds = 4\n"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "ferry-server.conf:4: unknown key 'threds' in [server]"));
	assert_int_equal(parse(&c, "[keys]\n" PUB "[server]\npoll_interval_s = 5\n"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), ":4: server.poll_interval_s: '5' is not a whole number in [60, 86400]"));
	assert_int_equal(parse(&c, "[keys]\n" PUB "[server]\nthreads = -1\n"), FERRY_ECORRUPT);
	assert_int_equal(parse(&c, "[keys]\n" PUB "[tls]\ncert\n"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), ":4: expected key = value"));
	assert_int_equal(parse(&c, "[nope]\n"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), ":1: unknown section [nope]"));
	assert_int_equal(parse(&c, "name = x\n"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "before any [section]"));
	assert_int_equal(parse(&c, "[database]\nbackend = mysql\n"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), ":2: database.backend: 'mysql' is not sqlite "
			    "or postgresql"));
	/* a connection string's own '=' stays in the value (the key is missing: parsed to the end) */
	assert_int_equal(parse(&c, "[database]\nbackend = postgresql\nurl = host=/run/pg\n"),
			 FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "signing_public_key is missing"));
	assert_string_equal(c.db_url, "host=/run/pg");
	assert_int_equal(parse(&c, "[retention]\nevents_days = 0\nprune_batch = 5\n"),
			 FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), ":3: retention.prune_batch"));
	assert_int_equal(parse(&c, "[keys]\nsigning_public_key = AAAA\n"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), ":2: keys.signing_public_key"));
	assert_int_equal(parse(&c, "[metrics]\npublic = yes\n[keys]\n" PUB), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "is not true or false"));
}

static void test_srv_config__signing_key_is_required(void **state)
{
	struct srv_config c;

	(void)state;
	assert_int_equal(parse(&c, "[server]\nname = a\n"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "signing_public_key is missing"));
}

static void test_srv_config__long_lines_and_nul_refused(void **state)
{
	struct srv_config c;
	char big[SRV_CONF_LINE_MAX + 40];
	const char nul[] = "[server]\nname = a\0b\n";

	(void)state;
	memset(big, 'x', sizeof(big));
	memcpy(big, "[server]\nname = ", 16);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(&c, big), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), ":2: line longer than"));
	srv_config_defaults(&c, ".");
	assert_int_equal(srv_config_parse(&c, nul, sizeof(nul) - 1, "f"), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "f:2: NUL byte"));
}

static void test_srv_config__paths_relative_to_dir(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(srv_path(out, sizeof(out), "/srv/ferry", "tls/cert.pem"), FERRY_OK);
	assert_string_equal(out, "/srv/ferry/tls/cert.pem");
	assert_int_equal(srv_path(out, sizeof(out), "/srv/ferry", "/etc/ssl/c.pem"), FERRY_OK);
	assert_string_equal(out, "/etc/ssl/c.pem");
	assert_int_equal(srv_path(out, 8, "/srv/ferry", "x"), FERRY_ERANGE);
}

static void test_srv_util__device_names(void **state)
{
	char out[SRV_DEVICE_MAX];

	(void)state;
	assert_true(srv_device_name_ok(out, "fin-pc-001"));
	assert_string_equal(out, "FIN-PC-001");
	assert_false(srv_device_name_ok(out, ""));
	assert_false(srv_device_name_ok(out, "ABCDEFGHIJKLMNOP")); /* 16 > NetBIOS 15 */
	assert_false(srv_device_name_ok(out, "PC 1"));
	assert_false(srv_device_name_ok(out, "PC1$"));
	assert_false(srv_device_name_ok(out, "PC_1"));
	assert_false(srv_device_name_ok(out, "../PC"));
	assert_true(srv_name_ok("wave-1.b_2"));
	assert_false(srv_name_ok(".hidden"));
	assert_false(srv_name_ok("a/b"));
}

static void test_srv_util__times(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(srv_time_parse(&t, "2025-03-01T08:00:00Z", "x"), FERRY_OK);
	assert_int_equal(t, 1740816000);
	assert_int_equal(srv_time_parse(&t, "1740816000", "x"), FERRY_OK);
	assert_int_equal(t, 1740816000);
	assert_int_equal(srv_time_parse(&t, "2025-13-01T08:00:00Z", "/available_from"), FERRY_EINVAL);
	assert_non_null(strstr(ferry_error_detail(), "/available_from"));
	assert_int_equal(srv_time_parse(&t, "2025-03-01 08:00", "x"), FERRY_EINVAL);
	assert_int_equal(srv_time_parse(&t, "-5", "x"), FERRY_EINVAL);
	assert_int_equal(srv_time_parse(&t, NULL, "x"), FERRY_EINVAL);
}

static void test_srv_http__paths_split_and_refuse_dots(void **state)
{
	struct srv_req r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(srv_req_split(&r, "/v1/agents/abc/assignment"), FERRY_OK);
	assert_int_equal(r.nparts, 4);
	assert_string_equal(r.parts[2], "abc");
	assert_int_equal(srv_req_split(&r, "/v1/agents/../admin"), FERRY_ECORRUPT);
	assert_int_equal(srv_req_split(&r, "/v1//agents"), FERRY_ECORRUPT);
	assert_int_equal(srv_req_split(&r, "/v1/agents/"), FERRY_ECORRUPT);
	assert_int_equal(srv_req_split(&r, "v1"), FERRY_ECORRUPT);
	assert_int_equal(srv_req_split(&r, "/a/b/c/d/e/f/g/h/i"), FERRY_ECORRUPT);
}

static void test_srv_util__tokens_hash_and_differ(void **state)
{
	struct ferry_secret *a = NULL, *b = NULL;
	char ha[SRV_HASH_HEX], hb[SRV_HASH_HEX], again[SRV_HASH_HEX];

	(void)state;
	assert_int_equal(srv_token_new(&a, ha), FERRY_OK);
	assert_int_equal(srv_token_new(&b, hb), FERRY_OK);
	assert_string_not_equal((const char *)a->data, (const char *)b->data);
	assert_int_equal(strlen((const char *)a->data), 43);
	assert_null(strpbrk((const char *)a->data, "+/="));
	assert_int_equal(srv_token_hash(again, (const char *)a->data, strlen((const char *)a->data)),
			 FERRY_OK);
	assert_string_equal(again, ha);
	assert_null(srv_bearer("Basic x"));
	assert_null(srv_bearer("Bearer "));
	assert_string_equal(srv_bearer("Bearer tok"), "tok");
	ferry_secret_free(a);
	ferry_secret_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srv_config__reads_known_keys_over_defaults),
		cmocka_unit_test(test_srv_config__errors_name_file_line_and_key),
		cmocka_unit_test(test_srv_config__signing_key_is_required),
		cmocka_unit_test(test_srv_config__long_lines_and_nul_refused),
		cmocka_unit_test(test_srv_config__paths_relative_to_dir),
		cmocka_unit_test(test_srv_util__device_names),
		cmocka_unit_test(test_srv_util__times),
		cmocka_unit_test(test_srv_http__paths_split_and_refuse_dots),
		cmocka_unit_test(test_srv_util__tokens_hash_and_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
