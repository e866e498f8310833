/* core/ipc: framing, typed messages, authorisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ipc/authz.h"
#include "ipc/frame.h"
#include "ipc/msg.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "ux/logon_outcome.h"

/* Append one raw frame (header + text) to b. */
static void raw_frame(struct ferry_buf *b, const char *json)
{
	uint8_t h[4];

	put_u32le(h, (uint32_t)strlen(json));
	assert_int_equal(ferry_buf_append(b, h, 4), FERRY_OK);
	assert_int_equal(ferry_buf_append(b, json, strlen(json)), FERRY_OK);
}

/* Feed a whole buffer in one go; returns the first error, counts frames. */
static ferry_err feed_all(struct ipc_decoder *d, const uint8_t *p, size_t n, size_t *frames)
{
	while (n) {
		struct ipc_frame *f = NULL;
		size_t used = 0;
		ferry_err rc = ipc_decoder_feed(d, p, n, &used, &f);

		if (rc)
			return rc;
		if (f)
			(*frames)++;
		ipc_frame_free(f);
		p += used;
		n -= used;
	}
	return FERRY_OK;
}

/* One raw request frame through a fresh decoder. */
static ferry_err decode_one(const char *json, struct ipc_frame **out)
{
	struct ipc_decoder d;
	struct ferry_buf b;
	size_t used = 0;
	ferry_err rc;

	ferry_buf_init(&b, 1 << 20);
	raw_frame(&b, json);
	ipc_decoder_init(&d, IPC_FRAME_REQUEST);
	rc = ipc_decoder_feed(&d, b.data, b.len, &used, out);
	if (!rc)
		assert_int_equal(used, b.len);
	ipc_decoder_free(&d);
	ferry_buf_free(&b);
	return rc;
}

static void test_ipc__splits_at_every_byte_boundary(void **state)
{
	static const char *const msgs[] = {
		"{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[1]}",
		"{\"v\":1,\"id\":2,\"op\":\"get_experience\"}",
		"{\"v\":1,\"id\":3,\"op\":\"snooze\",\"minutes\":30}",
	};
	struct ferry_buf b;

	(void)state;
	ferry_buf_init(&b, 4096);
	for (size_t i = 0; i < 3; i++)
		raw_frame(&b, msgs[i]);
	/* Every split into two chunks, then every split into one-byte chunks. */
	for (size_t cut = 0; cut <= b.len; cut++) {
		struct ipc_decoder d;
		size_t frames = 0;

		ipc_decoder_init(&d, IPC_FRAME_REQUEST);
		assert_int_equal(feed_all(&d, b.data, cut, &frames), FERRY_OK);
		assert_int_equal(feed_all(&d, b.data + cut, b.len - cut, &frames), FERRY_OK);
		assert_int_equal(frames, 3);
		assert_false(ipc_decoder_pending(&d));
		ipc_decoder_free(&d);
	}
	{
		struct ipc_decoder d;
		uint64_t ids[3] = { 0 };
		size_t frames = 0;

		ipc_decoder_init(&d, IPC_FRAME_REQUEST);
		for (size_t i = 0; i < b.len; i++) {
			struct ipc_frame *f = NULL;
			size_t used = 0;

			assert_int_equal(ipc_decoder_feed(&d, b.data + i, 1, &used, &f), FERRY_OK);
			assert_int_equal(used, 1);
			if (f) {
				ids[frames++] = f->id;
				ipc_frame_free(f);
			}
		}
		assert_int_equal(frames, 3);
		assert_int_equal(ids[0], 1);
		assert_int_equal(ids[2], 3);
		ipc_decoder_free(&d);
	}
	ferry_buf_free(&b);
}

static void test_ipc__one_frame_per_feed_call(void **state)
{
	struct ipc_decoder d;
	struct ipc_frame *f = NULL;
	struct ferry_buf b;
	size_t used = 0, first;

	(void)state;
	ferry_buf_init(&b, 4096);
	raw_frame(&b, "{\"v\":1,\"id\":7,\"op\":\"start_now\"}");
	first = b.len;
	raw_frame(&b, "{\"v\":1,\"id\":8,\"op\":\"ack_complete\"}");
	ipc_decoder_init(&d, IPC_FRAME_REQUEST);
	assert_int_equal(ipc_decoder_feed(&d, b.data, b.len, &used, &f), FERRY_OK);
	assert_int_equal(used, first);
	assert_int_equal(f->id, 7);
	assert_string_equal(f->op, "start_now");
	assert_int_equal(f->offset, 0);
	ipc_frame_free(f);
	assert_int_equal(ipc_decoder_feed(&d, b.data + used, b.len - used, &used, &f), FERRY_OK);
	assert_int_equal(f->id, 8);
	assert_int_equal(f->offset, first);
	ipc_frame_free(f);
	ipc_decoder_free(&d);
	ferry_buf_free(&b);
}

static void test_ipc__refuses_oversize_and_zero_length(void **state)
{
	static const uint8_t over[4] = { 0x01, 0x00, 0x01, 0x00 }; /* 65537 */
	static const uint8_t zero[4] = { 0, 0, 0, 0 };
	static const uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	const uint8_t *cases[] = { over, zero, huge };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct ipc_decoder d;
		struct ipc_frame *f = NULL;
		size_t used = 0;

		ipc_decoder_init(&d, IPC_FRAME_REQUEST);
		assert_int_equal(ipc_decoder_feed(&d, cases[i], 4, &used, &f), FERRY_ERANGE);
		assert_null(f);
		assert_non_null(strstr(ferry_error_detail(), "offset 0"));
		/* Dead for good: the stream cannot be resynchronised. */
		assert_int_equal(ipc_decoder_feed(&d, cases[i], 4, &used, &f), FERRY_ERANGE);
		assert_int_equal(used, 0);
		ipc_decoder_free(&d);
	}
}

static void test_ipc__accepts_exactly_64k(void **state)
{
	struct ipc_decoder d;
	struct ipc_frame *f = NULL;
	struct ferry_buf b;
	size_t used = 0, pad;
	char *json = NULL;
	const char *head = "{\"v\":1,\"id\":5,\"op\":\"start_now\",\"session\":1}";

	(void)state;
	pad = IPC_PAYLOAD_MAX - strlen(head);
	json = ferry_malloc(IPC_PAYLOAD_MAX + 2);
	assert_non_null(json);
	memcpy(json, head, strlen(head));
	memset(json + strlen(head), ' ', pad); /* trailing whitespace is allowed */
	json[IPC_PAYLOAD_MAX] = 0;
	ferry_buf_init(&b, 1 << 20);
	raw_frame(&b, json);
	ipc_decoder_init(&d, IPC_FRAME_REQUEST);
	assert_int_equal(ipc_decoder_feed(&d, b.data, b.len, &used, &f), FERRY_OK);
	assert_non_null(f);
	ipc_frame_free(f);
	ipc_decoder_free(&d);
	/* One byte more is refused. */
	json[IPC_PAYLOAD_MAX] = ' ';
	json[IPC_PAYLOAD_MAX + 1] = 0;
	b.len = 0;
	raw_frame(&b, json);
	ipc_decoder_init(&d, IPC_FRAME_REQUEST);
	assert_int_equal(ipc_decoder_feed(&d, b.data, b.len, &used, &f), FERRY_ERANGE);
	ipc_decoder_free(&d);
	ferry_buf_free(&b);
	ferry_free(json);
}

static void test_ipc__truncated_stream_stays_pending(void **state)
{
	struct ipc_decoder d;
	struct ferry_buf b;
	size_t frames = 0;

	(void)state;
	ferry_buf_init(&b, 4096);
	raw_frame(&b, "{\"v\":1,\"id\":1,\"op\":\"start_now\"}");
	for (size_t cut = 1; cut < b.len; cut++) {
		ipc_decoder_init(&d, IPC_FRAME_REQUEST);
		assert_int_equal(feed_all(&d, b.data, cut, &frames), FERRY_OK);
		assert_int_equal(frames, 0);
		assert_true(ipc_decoder_pending(&d));
		ipc_decoder_free(&d);
	}
	ferry_buf_free(&b);
}

static void test_ipc__malformed_corpus_is_refused_with_offset(void **state)
{
	static const struct {
		const char *json;
		ferry_err rc;
		const char *detail;
	} cases[] = {
		{ "[1,2]", FERRY_ECORRUPT, "not an object" },
		{ "\"str\"", FERRY_ECORRUPT, "not an object" },
		{ "{\"v\":1,\"id\":1,\"op\":\"hello\"", FERRY_ECORRUPT, "not valid JSON" },
		{ "{\"v\":1,\"id\":1,\"op\":\"a\"} x", FERRY_ECORRUPT, "not valid JSON" },
		{ "{\"v\":1,\"id\":1,\"op\":\"\xc0\xaf\"}", FERRY_ECORRUPT, "invalid UTF-8 in payload (offset 24)" },
		{ "{\"v\":1,\"id\":1,\"op\":\"\xed\xa0\x80\"}", FERRY_ECORRUPT, "invalid UTF-8" },
		{ "{\"id\":1,\"op\":\"hello\"}", FERRY_ECORRUPT, "no \"v\"" },
		{ "{\"v\":\"1\",\"id\":1,\"op\":\"hello\"}", FERRY_ECORRUPT, "\"v\" is not" },
		{ "{\"v\":2,\"id\":1,\"op\":\"hello\"}", FERRY_EUNSUPPORTED, "version 2 unsupported" },
		{ "{\"v\":1,\"op\":\"hello\"}", FERRY_ECORRUPT, "no \"id\"" },
		{ "{\"v\":1,\"id\":0,\"op\":\"hello\"}", FERRY_ECORRUPT, "\"id\" is not" },
		{ "{\"v\":1,\"id\":1.5,\"op\":\"hello\"}", FERRY_ECORRUPT, "\"id\" is not" },
		{ "{\"v\":1,\"id\":-1,\"op\":\"hello\"}", FERRY_ECORRUPT, "\"id\" is not" },
		{ "{\"v\":1,\"id\":9007199254740992,\"op\":\"hello\"}", FERRY_ECORRUPT, "\"id\" is not" },
		{ "{\"v\":1,\"id\":1}", FERRY_ECORRUPT, "no \"op\"" },
		{ "{\"v\":1,\"id\":1,\"op\":7}", FERRY_ECORRUPT, "\"op\" is not" },
		{ "{\"v\":1,\"id\":1,\"op\":\"\"}", FERRY_ECORRUPT, "\"op\" is not" },
		{ "{\"v\":1,\"id\":1,\"op\":\"a\",\"op\":\"b\"}", FERRY_ECORRUPT, "\"op\" repeated" },
		{ "{\"v\":1,\"id\":1,\"op\":\"a\",\"x\":{\"k\":1,\"k\":2}}", FERRY_ECORRUPT, "\"k\" repeated" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipc_frame *f = (struct ipc_frame *)1;
		ferry_err rc = decode_one(cases[i].json, &f);

		if (rc != cases[i].rc || !strstr(ferry_error_detail(), cases[i].detail))
			print_message("case %lu: rc %d detail %s\n", (unsigned long)i, (int)rc,
				      ferry_error_detail());
		assert_int_equal(rc, cases[i].rc);
		assert_null(f);
		assert_non_null(strstr(ferry_error_detail(), cases[i].detail));
		assert_non_null(strstr(ferry_error_detail(), "offset"));
	}
}

static void test_ipc__nul_byte_in_payload_is_refused(void **state)
{
	static const uint8_t frame[] = { 3, 0, 0, 0, '{', 0, '}' };
	struct ipc_decoder d;
	struct ipc_frame *f = NULL;
	size_t used = 0;

	(void)state;
	ipc_decoder_init(&d, IPC_FRAME_REQUEST);
	assert_int_equal(ipc_decoder_feed(&d, frame, sizeof(frame), &used, &f), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "NUL byte in payload (offset 5)"));
	ipc_decoder_free(&d);
}

/* Build r, decode the frame, parse it back. */
static struct ipc_request *request_round_trip(const struct ipc_request *r)
{
	struct ipc_decoder d;
	struct ipc_frame *f = NULL;
	struct ipc_request *back = NULL;
	struct ferry_buf b;
	size_t used = 0;

	ferry_buf_init(&b, 1 << 17);
	assert_int_equal(ipc_request_build(&b, r), FERRY_OK);
	ipc_decoder_init(&d, IPC_FRAME_REQUEST);
	assert_int_equal(ipc_decoder_feed(&d, b.data, b.len, &used, &f), FERRY_OK);
	assert_int_equal(used, b.len);
	assert_string_equal(f->op, ipc_op_name(r->op));
	assert_int_equal(ipc_request_parse(&back, f), FERRY_OK);
	assert_int_equal(back->id, r->id);
	assert_int_equal(back->op, r->op);
	assert_int_equal(back->session, r->session);
	ipc_frame_free(f);
	ipc_decoder_free(&d);
	ferry_buf_free(&b);
	return back;
}

static void test_ipc__every_request_round_trips(void **state)
{
	(void)state;
	for (unsigned op = 0; op < IPC_OP_COUNT; op++) {
		struct ipc_request r;
		struct ipc_request *back;

		memset(&r, 0, sizeof(r));
		r.id = 100 + op;
		r.op = (enum ipc_op)op;
		r.session = op == IPC_OP_HELLO ? IPC_NO_SESSION : (op % 2 ? 3 : IPC_NO_SESSION);
		switch (r.op) {
		case IPC_OP_HELLO:
			r.u.hello.versions[0] = 1;
			r.u.hello.versions[1] = 2;
			r.u.hello.n_versions = 2;
			strcpy(r.u.hello.client, "notifier/1.0");
			break;
		case IPC_OP_CACHE_CREDENTIALS:
			strcpy(r.u.creds.user, "jdoe");
			strcpy(r.u.creds.domain, "NEWCORP");
			assert_int_equal(ferry_secret_from(&r.u.creds.password, "p\"\xc3\xa9w", 5),
					 FERRY_OK);
			break;
		case IPC_OP_SNOOZE:
			r.u.snooze.minutes = 90;
			break;
		case IPC_OP_SUBSCRIBE:
			r.u.subscribe.timeout_ms = 30000;
			r.u.subscribe.since = 42;
			break;
		default:
			break;
		}
		back = request_round_trip(&r);
		if (r.op == IPC_OP_HELLO) {
			assert_int_equal(back->u.hello.n_versions, 2);
			assert_int_equal(back->u.hello.versions[1], 2);
			assert_string_equal(back->u.hello.client, "notifier/1.0");
		} else if (r.op == IPC_OP_CACHE_CREDENTIALS) {
			assert_string_equal(back->u.creds.user, "jdoe");
			assert_string_equal(back->u.creds.domain, "NEWCORP");
			assert_int_equal(back->u.creds.password->len, 5);
			assert_memory_equal(back->u.creds.password->data, "p\"\xc3\xa9w", 5);
			ferry_secret_free(r.u.creds.password);
		} else if (r.op == IPC_OP_SNOOZE) {
			assert_int_equal(back->u.snooze.minutes, 90);
		} else if (r.op == IPC_OP_SUBSCRIBE) {
			assert_int_equal(back->u.subscribe.timeout_ms, 30000);
			assert_int_equal(back->u.subscribe.since, 42);
		}
		ipc_request_free(back);
	}
}

static void fill_experience(struct ipc_experience *e)
{
	e->generation = 9;
	e->screen = IPC_SCREEN_PROGRESS;
	strcpy(e->title, "Moving your account");
	strcpy(e->body, "Do not switch off.");
	strcpy(e->image, "C:\\ProgramData\\Ferry\\brand.png");
	strcpy(e->target_user, "NEWCORP\\jdoe");
	e->fallback_available = true;
	e->percent = 40;
	strcpy(e->step, "odj_import");
	strcpy(e->qr_url, "https://intranet.example/m?a=1&b=2");
	strcpy(e->starts_at, "2025-03-01T10:00:00Z");
	e->snooze_max_minutes = 240;
}

static void check_experience(const struct ipc_experience *e)
{
	assert_int_equal(e->generation, 9);
	assert_int_equal(e->screen, IPC_SCREEN_PROGRESS);
	assert_string_equal(e->title, "Moving your account");
	assert_string_equal(e->image, "C:\\ProgramData\\Ferry\\brand.png");
	assert_string_equal(e->target_user, "NEWCORP\\jdoe");
	assert_true(e->fallback_available);
	assert_int_equal(e->percent, 40);
	assert_string_equal(e->step, "odj_import");
	assert_string_equal(e->qr_url, "https://intranet.example/m?a=1&b=2");
	assert_string_equal(e->starts_at, "2025-03-01T10:00:00Z");
	assert_int_equal(e->snooze_max_minutes, 240);
}

/* The experience's newer fields: required, bounded, and checked both ways. */
static void test_ipc__experience_qr_starts_at_and_snooze_are_checked(void **state)
{
	static const char base[] = "{\"v\":1,\"id\":1,\"ok\":true,\"generation\":1,"
		"\"screen\":\"notice\",\"title\":\"t\",\"body\":\"\",\"image\":\"\","
		"\"target_user\":\"\",\"fallback_available\":false,"
		"\"progress\":{\"percent\":0,\"step\":\"\"}";
	static const struct {
		const char *tail;
		ferry_err want;
	} cases[] = {
		{ ",\"qr_url\":\"\",\"starts_at\":\"\",\"snooze_max_minutes\":0}", FERRY_OK },
		{ ",\"starts_at\":\"\",\"snooze_max_minutes\":0}", FERRY_ECORRUPT },
		{ ",\"qr_url\":\"a b\",\"starts_at\":\"\",\"snooze_max_minutes\":0}",
		  FERRY_ECORRUPT },
		{ ",\"qr_url\":\"\",\"starts_at\":\"tomorrow\",\"snooze_max_minutes\":0}",
		  FERRY_ECORRUPT },
		{ ",\"qr_url\":\"\",\"starts_at\":\"\",\"snooze_max_minutes\":10081}",
		  FERRY_ERANGE },
		{ ",\"qr_url\":\"\",\"starts_at\":\"\",\"snooze_max_minutes\":5,\"snooze\":1}",
		  FERRY_ECORRUPT },
	};
	struct ipc_reply r = { .id = 1, .op = IPC_OP_GET_EXPERIENCE, .ok = true };
	struct ferry_buf b;
	char json[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipc_decoder d;
		struct ipc_frame *f = NULL;
		struct ipc_reply *back = NULL;
		size_t used = 0, n;
		uint8_t frame[1100];

		n = (size_t)snprintf(json, sizeof(json), "%s%s", base, cases[i].tail);
		frame[0] = (uint8_t)n;
		frame[1] = (uint8_t)(n >> 8);
		frame[2] = frame[3] = 0;
		memcpy(frame + 4, json, n);
		ipc_decoder_init(&d, IPC_FRAME_REPLY);
		assert_int_equal(ipc_decoder_feed(&d, frame, n + 4, &used, &f), FERRY_OK);
		assert_non_null(f);
		assert_int_equal(ipc_reply_parse(&back, f, IPC_OP_GET_EXPERIENCE), cases[i].want);
		ferry_free(back);
		ipc_frame_free(f);
		ipc_decoder_free(&d);
	}
	/* the builder refuses what the parser would refuse */
	fill_experience(&r.u.experience);
	ferry_buf_init(&b, 1 << 17);
	r.u.experience.snooze_max_minutes = IPC_SNOOZE_MIN_MAX + 1;
	assert_int_not_equal(ipc_reply_build(&b, &r), FERRY_OK);
	r.u.experience.snooze_max_minutes = 1;
	strcpy(r.u.experience.qr_url, "https://x/\x7f");
	assert_int_not_equal(ipc_reply_build(&b, &r), FERRY_OK);
	strcpy(r.u.experience.qr_url, "");
	strcpy(r.u.experience.starts_at, "2025-13-01T00:00:00Z");
	assert_int_not_equal(ipc_reply_build(&b, &r), FERRY_OK);
	ferry_buf_free(&b);
}

static struct ipc_reply *reply_round_trip(const struct ipc_reply *r)
{
	struct ipc_decoder d;
	struct ipc_frame *f = NULL;
	struct ipc_reply *back = NULL;
	struct ferry_buf b;
	size_t used = 0;

	ferry_buf_init(&b, 1 << 17);
	assert_int_equal(ipc_reply_build(&b, r), FERRY_OK);
	ipc_decoder_init(&d, IPC_FRAME_REPLY);
	assert_int_equal(ipc_decoder_feed(&d, b.data, b.len, &used, &f), FERRY_OK);
	assert_int_equal(ipc_reply_parse(&back, f, r->op), FERRY_OK);
	assert_int_equal(back->id, r->id);
	assert_int_equal(back->ok, r->ok);
	ipc_frame_free(f);
	ipc_decoder_free(&d);
	ferry_buf_free(&b);
	return back;
}

/* The service's reply for each logon outcome, over the wire, names the same
 * outcome on the tile's side (one vocabulary). */
static void test_ipc__logon_reply_carries_the_outcome(void **state)
{
	(void)state;
	for (int o = 0; o < LOGON_OUTCOME_COUNT_; o++) {
		struct ipc_reply r;
		struct ipc_reply *back;
		enum logon_outcome got;

		ipc_reply_logon(&r, 7, (enum logon_outcome)o);
		back = reply_round_trip(&r);
		if (o == LOGON_OUTCOME_OK) {
			assert_true(back->ok);
		} else {
			assert_false(back->ok);
			assert_true(logon_outcome_from_code(&got, back->u.error.code));
			assert_int_equal(got, o);
			assert_string_equal(back->u.error.message,
					    logon_outcome_text((enum logon_outcome)o));
		}
		ferry_free(back);
	}
}

static void test_ipc__every_reply_round_trips(void **state)
{
	(void)state;
	for (unsigned op = 0; op < IPC_OP_COUNT; op++) {
		struct ipc_reply *r = ferry_calloc(1, sizeof(*r));
		struct ipc_reply *back;

		assert_non_null(r);
		r->id = 200 + op;
		r->op = (enum ipc_op)op;
		r->ok = true;
		if (r->op == IPC_OP_HELLO) {
			r->u.hello.version = 1;
			strcpy(r->u.hello.service, "ferrysvc 0.1.0");
		} else if (r->op == IPC_OP_GET_EXPERIENCE) {
			fill_experience(&r->u.experience);
		} else if (r->op == IPC_OP_SUBSCRIBE) {
			r->u.subscribe.changed = true;
			fill_experience(&r->u.subscribe.experience);
		} else if (r->op == IPC_OP_SNOOZE) {
			strcpy(r->u.snooze.until, "2025-03-01T09:30:00Z");
		}
		back = reply_round_trip(r);
		if (r->op == IPC_OP_HELLO) {
			assert_int_equal(back->u.hello.version, 1);
			assert_string_equal(back->u.hello.service, "ferrysvc 0.1.0");
		} else if (r->op == IPC_OP_GET_EXPERIENCE) {
			check_experience(&back->u.experience);
		} else if (r->op == IPC_OP_SUBSCRIBE) {
			assert_true(back->u.subscribe.changed);
			check_experience(&back->u.subscribe.experience);
		} else if (r->op == IPC_OP_SNOOZE) {
			assert_string_equal(back->u.snooze.until, "2025-03-01T09:30:00Z");
		}
		ferry_free(back);
		/* And the error form of the same reply. */
		ipc_reply_error(r, 300 + op, "denied", "not your session");
		r->op = (enum ipc_op)op;
		back = reply_round_trip(r);
		assert_string_equal(back->u.error.code, "denied");
		assert_string_equal(back->u.error.message, "not your session");
		ferry_free(back);
		ferry_free(r);
	}
}

static ferry_err parse_json_request(const char *json, struct ipc_request **out)
{
	struct ipc_frame *f = NULL;
	ferry_err rc = decode_one(json, &f);

	*out = NULL;
	if (rc)
		return rc;
	rc = ipc_request_parse(out, f);
	ipc_frame_free(f);
	return rc;
}

static void test_ipc__bad_requests_name_the_field(void **state)
{
	static const struct {
		const char *json;
		ferry_err rc;
		const char *detail;
	} cases[] = {
		{ "{\"v\":1,\"id\":1,\"op\":\"reboot\"}", FERRY_ENOTFOUND, "unknown op \"reboot\"" },
		{ "{\"v\":1,\"id\":1,\"op\":\"start_now\",\"force\":true}", FERRY_ECORRUPT, "unknown key \"force\"" },
		{ "{\"v\":1,\"id\":1,\"op\":\"hello\"}", FERRY_ECORRUPT, "\"versions\" is missing" },
		{ "{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[]}", FERRY_ECORRUPT, "empty" },
		{ "{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[1,2,3,4,5,6,7,8,9]}", FERRY_ERANGE, "more than 8" },
		{ "{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[\"1\"]}", FERRY_ECORRUPT, "[0]" },
		{ "{\"v\":1,\"id\":1,\"op\":\"snooze\"}", FERRY_ECORRUPT, "\"minutes\" is missing" },
		{ "{\"v\":1,\"id\":1,\"op\":\"snooze\",\"minutes\":0}", FERRY_ERANGE, "\"minutes\"" },
		{ "{\"v\":1,\"id\":1,\"op\":\"snooze\",\"minutes\":10081}", FERRY_ERANGE, "\"minutes\"" },
		{ "{\"v\":1,\"id\":1,\"op\":\"subscribe\",\"timeout_ms\":300001}", FERRY_ERANGE, "\"timeout_ms\"" },
		{ "{\"v\":1,\"id\":1,\"op\":\"subscribe\"}", FERRY_ECORRUPT, "\"timeout_ms\" is missing" },
		{ "{\"v\":1,\"id\":1,\"op\":\"start_now\",\"session\":-1}", FERRY_ERANGE, "\"session\"" },
		{ "{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[1],\"session\":1}", FERRY_ECORRUPT, "unknown key \"session\"" },
		{ "{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"domain\":\"D\",\"password\":\"x\"}", FERRY_ECORRUPT, "\"user\" is missing" },
		{ "{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"domain\":\"D\"}", FERRY_ECORRUPT, "\"password\" is missing" },
		{ "{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"domain\":\"D\",\"password\":\"\"}", FERRY_ERANGE, "\"password\" must be" },
		/* Only a UPN may come without a domain (LogonUser takes it with a NULL domain). */
		{ "{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"domain\":\"\",\"password\":\"x\"}", FERRY_ECORRUPT, "\"domain\" is empty" },
		{ "{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"password\":\"x\"}", FERRY_ECORRUPT, "\"domain\" is missing" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipc_request *r = NULL;
		ferry_err rc = parse_json_request(cases[i].json, &r);

		if (rc != cases[i].rc || !strstr(ferry_error_detail(), cases[i].detail))
			print_message("case %lu: rc %d detail %s\n", (unsigned long)i, (int)rc,
				      ferry_error_detail());
		assert_int_equal(rc, cases[i].rc);
		assert_null(r);
		assert_non_null(strstr(ferry_error_detail(), cases[i].detail));
	}
}

/* A UPN with an alternate suffix travels whole, with an empty domain. */
static void test_ipc__upn_without_domain(void **state)
{
	struct ipc_request *r = NULL;

	(void)state;
	assert_int_equal(parse_json_request("{\"v\":1,\"id\":1,\"op\":\"cache_credentials\","
					    "\"user\":\"jdoe@alt.example\",\"domain\":\"\","
					    "\"password\":\"x\"}",
					    &r),
			 FERRY_OK);
	assert_string_equal(r->u.creds.user, "jdoe@alt.example");
	assert_string_equal(r->u.creds.domain, "");
	ipc_request_free(r);
}

static void test_ipc__password_never_in_error_detail(void **state)
{
	/* Each request carries the password and fails somewhere around it. */
	static const char *const cases[] = {
		"{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":7,\"domain\":\"D\",\"password\":\"S3cr3t-Pw\"}",
		"{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"domain\":\"D\",\"password\":\"S3cr3t-Pw\",\"S3cr3t-Pw\":1}",
		"{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"domain\":\"D\",\"password\":[\"S3cr3t-Pw\"]}",
		"{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"domain\":\"D\",\"password\":\"S3cr3t-Pw",
		"{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"domain\":\"D\",\"password\":\"S3cr3t-Pw\",\"password\":\"S3cr3t-Pw\"}",
		"{\"v\":2,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"domain\":\"D\",\"password\":\"S3cr3t-Pw\"}",
		"{\"v\":1,\"id\":1,\"op\":\"cache_credentials\",\"user\":\"u\",\"domain\":\"D\",\"password\":\"S3cr3t-Pw\xff\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipc_request *r = NULL;

		assert_int_not_equal(parse_json_request(cases[i], &r), FERRY_OK);
		assert_null(r);
		assert_true(ferry_error_detail()[0] != 0);
		if (strstr(ferry_error_detail(), "S3cr3t"))
			print_message("case %lu leaks: %s\n", (unsigned long)i,
				      ferry_error_detail());
		assert_null(strstr(ferry_error_detail(), "S3cr3t"));
	}
}

static void test_ipc__parse_wipes_password_from_json_tree(void **state)
{
	struct ipc_frame *f = NULL;
	struct ipc_request *r = NULL;
	const cJSON *pw;

	(void)state;
	assert_int_equal(decode_one("{\"v\":1,\"id\":4,\"op\":\"cache_credentials\",\"user\":\"u\","
				    "\"domain\":\"D\",\"password\":\"hunter2\"}", &f), FERRY_OK);
	assert_int_equal(ipc_request_parse(&r, f), FERRY_OK);
	pw = cJSON_GetObjectItemCaseSensitive(f->root, "password");
	assert_non_null(pw);
	assert_int_equal(pw->valuestring[0], 0);
	assert_memory_equal(r->u.creds.password->data, "hunter2", 8);
	ipc_request_free(r);
	ipc_frame_free(f);
}

static void test_ipc__authz_table(void **state)
{
	/* Two users on this PC: jdoe (the caller of the interactive rows) and
	 * asmith, whose UPN differs from her sAMAccountName. */
	static const struct ipc_authz_account users[] = {
		{ "jdoe", "jdoe@newcorp.example", "NEWCORP", "newcorp.example" },
		{ "asmith", "anna.smith@newcorp.example", "NEWCORP", "newcorp.example" },
	};
	static const struct ipc_authz_mapping map = { &users[0], users, 2, "newcorp.example" };
	static const struct ipc_authz_mapping other_target = { &users[0], users, 2, "else.example" };
	static const struct {
		enum ipc_caller_class cls;
		uint32_t caller_session;
		enum ipc_op op;
		uint32_t target;
		const char *user, *domain;
		const struct ipc_authz_mapping *map;
		bool allow;
	} rows[] = {
		{ IPC_CALLER_SYSTEM, 1, IPC_OP_GET_EXPERIENCE, 2, NULL, NULL, NULL, true },
		{ IPC_CALLER_SYSTEM, 0, IPC_OP_CACHE_CREDENTIALS, 3, "anyone", "X", &map, false },
		{ IPC_CALLER_SYSTEM, 0, IPC_OP_CACHE_CREDENTIALS, 3, "asmith", "NEWCORP", &map, true },
		{ IPC_CALLER_SYSTEM, 0, IPC_OP_CACHE_CREDENTIALS, 3, "anna.smith", "newcorp.example", &map, true },
		{ IPC_CALLER_SYSTEM, 0, IPC_OP_CACHE_CREDENTIALS, 3, "jdoe", "NEWCORP", &map, true },
		{ IPC_CALLER_SYSTEM, 0, IPC_OP_CACHE_CREDENTIALS, 3, "asmith", "OLDCORP", &map, false },
		{ IPC_CALLER_SYSTEM, 0, IPC_OP_CACHE_CREDENTIALS, 3, "jdoe", "NEWCORP", NULL, false },
		{ IPC_CALLER_SYSTEM, 0, IPC_OP_CACHE_CREDENTIALS, 3, "jdoe", "NEWCORP", &other_target, false },
		{ IPC_CALLER_SYSTEM, 1, IPC_OP_START_NOW, IPC_NO_SESSION, NULL, NULL, NULL, true },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_HELLO, IPC_NO_SESSION, NULL, NULL, NULL, true },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_GET_EXPERIENCE, IPC_NO_SESSION, NULL, NULL, NULL, true },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_SNOOZE, 2, NULL, NULL, &map, true },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_SNOOZE, 2, NULL, NULL, NULL, false },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_SNOOZE, 3, NULL, NULL, &map, false },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_ACK_COMPLETE, 0, NULL, NULL, NULL, false },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_SUBSCRIBE, 2, NULL, NULL, NULL, true },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, 2, "jdoe", "NEWCORP", &map, true },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, IPC_NO_SESSION, "JDoe", "newcorp.example", &map, true },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, 2, "jdoe@newcorp.example", "", &map, true },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, 2, "admin", "NEWCORP", &map, false },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, 2, "jdoe", "OLDCORP", &map, false },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, 2, "asmith", "NEWCORP", &map, false },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, 2, "jdoe", "NEWCORP", NULL, false },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, 2, "jdoe", "NEWCORP", &other_target, false },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, 3, "jdoe", "NEWCORP", &map, false },
		{ IPC_CALLER_INTERACTIVE_USER, 2, IPC_OP_CACHE_CREDENTIALS, 2, "jdoe2", "NEWCORP", &map, false },
		{ IPC_CALLER_OTHER, 2, IPC_OP_HELLO, IPC_NO_SESSION, NULL, NULL, NULL, false },
		{ IPC_CALLER_OTHER, 2, IPC_OP_GET_EXPERIENCE, 2, NULL, NULL, NULL, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ipc_caller c = { rows[i].cls, rows[i].caller_session, "" };
		struct ipc_request r;
		struct ipc_authz_decision d;

		memset(&r, 0, sizeof(r));
		r.op = rows[i].op;
		r.session = rows[i].target;
		if (rows[i].user) {
			strcpy(r.u.creds.user, rows[i].user);
			strcpy(r.u.creds.domain, rows[i].domain);
		}
		d = ipc_authz_check(&c, &r, rows[i].map);
		if (d.allow != rows[i].allow)
			print_message("row %lu: got %d (%s)\n", (unsigned long)i, (int)d.allow,
				      d.reason);
		assert_int_equal(d.allow, rows[i].allow);
		assert_true(d.reason[0]);
	}
}

/* Issue 15, finding 8: start_now, snooze and ack_complete decide for the
 * whole PC, so only SYSTEM or a migrated user (its SID a user row's source
 * in the signed identity mapping) may send them; with no mapping in force no
 * profile migrates, so no interactive user may. */
static void test_ipc__device_wide_ops_only_from_a_migrated_user(void **state)
{
	static const struct ipc_authz_account jdoe = { "jdoe", "", "NEWCORP", "newcorp.example" };
	static const struct ipc_authz_mapping mapped = { &jdoe, &jdoe, 1, "newcorp.example" };
	static const struct ipc_authz_mapping unmapped = { NULL, &jdoe, 1, "newcorp.example" };
	static const enum ipc_op ops[] = { IPC_OP_START_NOW, IPC_OP_SNOOZE, IPC_OP_ACK_COMPLETE };
	struct ipc_caller user = { IPC_CALLER_INTERACTIVE_USER, 2, "S-1-5-21-1-2-3-1107" };
	struct ipc_caller system = { IPC_CALLER_SYSTEM, 0, "S-1-5-18" };
	struct ipc_caller other = { IPC_CALLER_OTHER, 2, "S-1-5-20" };
	struct ipc_request r;
	struct ipc_authz_decision d;

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.op = ops[i];
		r.session = IPC_NO_SESSION;
		assert_true(ipc_op_device_wide(ops[i]));
		d = ipc_authz_check(&user, &r, &mapped);
		assert_true(d.allow);
		assert_non_null(strstr(d.reason, "NEWCORP\\jdoe"));
		d = ipc_authz_check(&user, &r, &unmapped);
		assert_false(d.allow);
		assert_non_null(strstr(d.reason, ipc_op_name(ops[i])));
		assert_non_null(strstr(d.reason, "(S-1-5-21-1-2-3-1107) is not a migrated user"));
		d = ipc_authz_check(&user, &r, NULL);
		assert_false(d.allow);
		assert_non_null(strstr(d.reason, "no signed identity mapping is in force"));
		/* SYSTEM (LogonUI, the service's tools) decides with or without one. */
		assert_true(ipc_authz_check(&system, &r, NULL).allow);
		assert_true(ipc_authz_check(&system, &r, &unmapped).allow);
		assert_false(ipc_authz_check(&other, &r, &mapped).allow);
		/* A migrated user still acts only from its own session. */
		r.session = 3;
		d = ipc_authz_check(&user, &r, &mapped);
		assert_false(d.allow);
		assert_non_null(strstr(d.reason, "own session"));
	}
	/* The session's own ops stay open to an unmapped user. */
	assert_false(ipc_op_device_wide(IPC_OP_GET_EXPERIENCE));
	assert_false(ipc_op_device_wide(IPC_OP_SUBSCRIBE));
	assert_false(ipc_op_device_wide(IPC_OP_CACHE_CREDENTIALS));
	memset(&r, 0, sizeof(r));
	r.op = IPC_OP_SUBSCRIBE;
	r.session = IPC_NO_SESSION;
	assert_true(ipc_authz_check(&user, &r, &unmapped).allow);
}

/* A source-domain account is refused with the account to use; a stranger's
 * account names neither the stranger's nor anybody's password. */
static void test_ipc__authz_names_the_account_to_use(void **state)
{
	static const struct ipc_authz_account jdoe = { "jdoe", "", "NEWCORP", "newcorp.example" };
	static const struct ipc_authz_mapping map = { &jdoe, &jdoe, 1, "newcorp.example" };
	struct ipc_caller user = { IPC_CALLER_INTERACTIVE_USER, 2, "S-1-5-21-1-2-3-1105" };
	struct ipc_caller tile = { IPC_CALLER_SYSTEM, 1, "" };
	struct ipc_request r;
	struct ipc_authz_decision d;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.op = IPC_OP_CACHE_CREDENTIALS;
	r.session = IPC_NO_SESSION;
	strcpy(r.u.creds.user, "jdoe");
	strcpy(r.u.creds.domain, "OLDCORP");
	d = ipc_authz_check(&user, &r, &map);
	assert_false(d.allow);
	assert_string_equal(d.reason, "OLDCORP\\jdoe is not the account this user moves to: "
				      "cache NEWCORP\\jdoe, the target-domain account");
	d = ipc_authz_check(&tile, &r, &map);
	assert_false(d.allow);
	assert_non_null(strstr(d.reason, "cache NEWCORP\\jdoe"));
	strcpy(r.u.creds.user, "OLDCORP\\jdoe");
	strcpy(r.u.creds.domain, "");
	d = ipc_authz_check(&user, &r, &map);
	assert_false(d.allow);
	assert_non_null(strstr(d.reason, "cache NEWCORP\\jdoe"));
}

static void test_ipc__error_codes_map_from_ferry_err(void **state)
{
	(void)state;
	assert_string_equal(ipc_error_code(FERRY_ECORRUPT), "bad_request");
	assert_string_equal(ipc_error_code(FERRY_ENOTFOUND), "unknown_op");
	assert_string_equal(ipc_error_code(FERRY_EUNSUPPORTED), "unsupported_version");
	assert_string_equal(ipc_error_code(FERRY_EPERM), "denied");
	assert_string_equal(ipc_error_code(FERRY_ENOMEM), "internal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipc__splits_at_every_byte_boundary),
		cmocka_unit_test(test_ipc__one_frame_per_feed_call),
		cmocka_unit_test(test_ipc__refuses_oversize_and_zero_length),
		cmocka_unit_test(test_ipc__accepts_exactly_64k),
		cmocka_unit_test(test_ipc__truncated_stream_stays_pending),
		cmocka_unit_test(test_ipc__malformed_corpus_is_refused_with_offset),
		cmocka_unit_test(test_ipc__nul_byte_in_payload_is_refused),
		cmocka_unit_test(test_ipc__every_request_round_trips),
		cmocka_unit_test(test_ipc__every_reply_round_trips),
		cmocka_unit_test(test_ipc__logon_reply_carries_the_outcome),
		cmocka_unit_test(test_ipc__experience_qr_starts_at_and_snooze_are_checked),
		cmocka_unit_test(test_ipc__bad_requests_name_the_field),
		cmocka_unit_test(test_ipc__upn_without_domain),
		cmocka_unit_test(test_ipc__password_never_in_error_detail),
		cmocka_unit_test(test_ipc__parse_wipes_password_from_json_tree),
		cmocka_unit_test(test_ipc__authz_table),
		cmocka_unit_test(test_ipc__authz_names_the_account_to_use),
		cmocka_unit_test(test_ipc__device_wide_ops_only_from_a_migrated_user),
		cmocka_unit_test(test_ipc__error_codes_map_from_ferry_err),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
