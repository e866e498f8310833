/*
 * `ferry agent`: drive the real migration-server client (core/net/agent.h)
 * from the command line, so tests and admins exercise it end to end.
 *
 *   ferry agent enroll --state DIR --server URL --machine M --domain D [--os OS]
 *                      [--enroll-key-file FILE]
 *   ferry agent status --state DIR --seq N|--queue --phase P [--runbook R]
 *                      [--step S] [--cached-user NAME] [--rehearsal]
 *   ferry agent poll --state DIR [--v2]   (--v2: as the service polls,
 *                      protocol v2 first, v1 only from a v1 server)
 *   ferry agent bundle-dir --state DIR --dir BUNDLE_DIR
 *   ferry agent fetch-odj --state DIR --out FILE [--target-domain D] [--ou OU]
 *                         [--dry-run]
 *   ferry agent escrow --state DIR --server-key PUB --password-file FILE
 *   ferry agent event --state DIR --kind K [--detail TEXT]
 *   ferry agent flush --state DIR
 *   ferry agent package --state DIR --id ID --out FILE   (cmd_agent_package.c)
 *   ferry agent run --state DIR --for SECONDS [--interval SECONDS]
 *
 * Every command also takes --pin (SERVER_PIN_SHA256), --ca FILE,
 * --signing-key (SIGNING_PUBLIC_KEY), --timeout-ms, --connect-timeout-ms
 * and --max-reply. Exit codes: 0 ok; 2 refused (signature, seal, pin,
 * stale, wrong machine/domain, malformed, too large); 3 unreachable, busy
 * or timed out; 1 local failure; 64 usage. A refusal prints one line
 * "refused: <reason>" on stderr; secrets are never printed.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Core's headers before <windows.h>: sec/sid.h (through net/agent_v2.h)
 * defines SID_REVISION as Windows does (service/win/profops_int.h). */
#include "net/agent_v2.h"

#ifdef _WIN32
#include <windows.h>
#endif

#include <openssl/rand.h>

#include "cli.h"
#include "cli_keys.h"
#include "net/agent.h"
#include "net/retry.h"
#include "util/hex.h"

#define EXIT_REFUSED 2
#define EXIT_UNAVAILABLE 3

struct ctx {
	int argc;
	char **argv;
	struct net_keystore ks;
	struct net_agent a;
};

static const char *opt(const struct ctx *c, const char *name)
{
	for (int i = 1; i + 1 < c->argc; i++) {
		if (!strcmp(c->argv[i], name))
			return c->argv[i + 1];
	}
	return NULL;
}

/* A flag without a value (--queue). */
static bool has(const struct ctx *c, const char *name)
{
	for (int i = 1; i < c->argc; i++) {
		if (!strcmp(c->argv[i], name))
			return true;
	}
	return false;
}

static int report(ferry_err rc)
{
	switch (rc) {
	case FERRY_OK:
		return 0;
	case FERRY_EIO:
	case FERRY_EBUSY:
	case FERRY_ETIMEOUT:
		fprintf(stderr, "unavailable: %s\n", ferry_error_detail());
		return EXIT_UNAVAILABLE;
	case FERRY_EAUTH:
	case FERRY_EMISMATCH:
	case FERRY_ECORRUPT:
	case FERRY_EUNSUPPORTED:
	case FERRY_ERANGE:
		fprintf(stderr, "refused: %s\n", ferry_error_detail());
		return EXIT_REFUSED;
	default:
		fprintf(stderr, "ferry agent: %s: %s\n", ferry_strerror(rc), ferry_error_detail());
		return 1;
	}
}

static int set_str(char *dst, size_t cap, const char *v)
{
	if (!v)
		return 0;
	if (strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Open the state and apply the command line's overrides. */
static ferry_err open_agent(struct ctx *c)
{
	const char *dir = opt(c, "--state"), *key = opt(c, "--signing-key"), *pin;
	const char *v;
	struct ferry_secret *pub = NULL;
	ferry_err rc;

	if (!key)
		key = getenv("SIGNING_PUBLIC_KEY");
	if (key && (rc = cli_key_read(&pub, key)))
		return rc;
	cli_keystore_init(&c->ks, dir);
	rc = net_agent_open(&c->a, dir, &c->ks, pub ? pub->data : NULL);
	ferry_secret_free(pub);
	if (rc)
		return rc;
	pin = opt(c, "--pin") ? opt(c, "--pin") : getenv("SERVER_PIN_SHA256");
	if (pin && *pin) {
		int n = snprintf(c->a.pin, sizeof(c->a.pin), "%s%s",
				 strncmp(pin, "sha256//", 8) ? "sha256//" : "", pin);
		if (n < 0 || (size_t)n >= sizeof(c->a.pin))
			return ferry_error_set(FERRY_EINVAL, "--pin too long");
	}
	if (set_str(c->a.server, sizeof(c->a.server), opt(c, "--server")) ||
	    set_str(c->a.ca_file, sizeof(c->a.ca_file), opt(c, "--ca")) ||
	    set_str(c->a.machine, sizeof(c->a.machine), opt(c, "--machine")) ||
	    set_str(c->a.domain, sizeof(c->a.domain), opt(c, "--domain")))
		return ferry_error_set(FERRY_EINVAL, "an option value is too long");
	if ((v = opt(c, "--timeout-ms")))
		c->a.cfg.timeout_ms = atol(v);
	if ((v = opt(c, "--connect-timeout-ms")))
		c->a.cfg.connect_timeout_ms = atol(v);
	if ((v = opt(c, "--max-reply")))
		c->a.cfg.max_reply = (size_t)strtoull(v, NULL, 10);
	net_agent_bind(&c->a);
	if (!key && (!strcmp(c->argv[0], "poll") || !strcmp(c->argv[0], "bundle-dir") ||
		     !strcmp(c->argv[0], "run") || !strcmp(c->argv[0], "package")))
		return ferry_error_set(FERRY_EINVAL, "no signing key (--signing-key or "
				       "SIGNING_PUBLIC_KEY)");
	return FERRY_OK;
}

static int do_enroll(struct ctx *c)
{
	ferry_err rc;

	if (!c->a.server[0] || !c->a.machine[0] || !c->a.domain[0])
		return CLI_EXIT_USAGE;
	if (opt(c, "--enroll-key-file")) {
		/* a file, never the command line: the key is a secret */
		struct ferry_secret *key = NULL;

		rc = cli_read_secret_file(&key, opt(c, "--enroll-key-file"), 1024);
		while (!rc && key->len && (key->data[key->len - 1] == '\n' ||
					   key->data[key->len - 1] == '\r'))
			key->len--;
		if (!rc)
			rc = net_agent_enroll_key(&c->a, opt(c, "--os") ? opt(c, "--os") : "unknown",
						  key);
		ferry_secret_free(key);
	} else {
		rc = net_agent_enroll(&c->a, opt(c, "--os") ? opt(c, "--os") : "unknown");
	}
	if (!rc)
		printf("enrolled: agent %s\n", c->a.id);
	return report(rc);
}

/* The service's poll (net/agent_v2.h): prints what is in force when new. */
static int do_poll_v2(struct ctx *c)
{
	enum net_poll_result res;
	struct net_accepted *acc = NULL;
	char what[96];
	ferry_err rc = net_agent_poll_any(&c->a, &res, &acc);

	if (!rc && res == NET_POLL_NEW) {
		net_accepted_describe(acc, what, sizeof(what));
		printf("new: %s\n", what);
	} else if (!rc) {
		printf("unchanged\n");
	} else if (rc == FERRY_EBUSY) {
		printf("retry-after: %u\n", c->a.retry_after_s);
	}
	net_accepted_free(acc);
	return report(rc);
}

static int do_poll(struct ctx *c)
{
	enum net_poll_result res;
	struct bundle *b = NULL;
	ferry_err rc;

	if (has(c, "--v2"))
		return do_poll_v2(c);
	rc = net_agent_poll(&c->a, &res, &b);

	if (!rc && res == NET_POLL_NEW)
		printf("new: sequence %llu\n", (unsigned long long)b->sequence);
	else if (!rc)
		printf("unchanged: sequence %llu\n", (unsigned long long)c->a.mark.sequence);
	else if (rc == FERRY_EBUSY)
		printf("retry-after: %u\n", c->a.retry_after_s);
	bundle_free(b);
	return report(rc);
}

static int do_bundle_dir(struct ctx *c)
{
	struct bundle *b = NULL;
	ferry_err rc;

	if (!opt(c, "--dir"))
		return CLI_EXIT_USAGE;
	rc = net_agent_bundle_dir(&c->a, opt(c, "--dir"), &b);
	if (!rc)
		printf("accepted: sequence %llu\n", (unsigned long long)b->sequence);
	bundle_free(b);
	return report(rc);
}

static int do_fetch_odj(struct ctx *c)
{
	const char *out = opt(c, "--out"), *dom = opt(c, "--target-domain");
	struct net_odj_request rq = { NULL, opt(c, "--ou"), has(c, "--dry-run") };
	struct ferry_secret *blob = NULL;
	char domain[NET_NAME_MAX], hex[65];
	uint8_t h[32], *sealed = NULL;
	size_t slen = 0;
	ferry_err rc = FERRY_OK;

	if (!out)
		return CLI_EXIT_USAGE;
	if (dom)
		snprintf(domain, sizeof(domain), "%s", dom);
	else
		rc = net_agent_target_domain(&c->a, domain, sizeof(domain));
	rq.domain = domain;
	if (!rc)
		rc = net_agent_odj_sealed(&c->a, &rq, &sealed, &slen);
	if (!rc)
		rc = net_agent_odj_open(&c->a, sealed, slen, domain, &blob);
	ferry_free(sealed);
	if (!rc)
		rc = cli_write_private_file(out, blob->data, blob->len);
	if (!rc)
		rc = net_sha256(h, blob->data, blob->len);
	if (!rc) {
		ferry_hex_encode(hex, h, 32);
		printf("ok: ODJ blob for %s in %s, %lu bytes, sha256 %s\n", c->a.machine, domain,
		       (unsigned long)blob->len, hex);
	}
	ferry_secret_free(blob);
	return report(rc);
}

static int do_package(struct ctx *c)
{
	if (!opt(c, "--id") || !opt(c, "--out"))
		return CLI_EXIT_USAGE;
	return report(cli_agent_package(&c->a, opt(c, "--id"), opt(c, "--out")));
}

static int do_escrow(struct ctx *c)
{
	const char *key = opt(c, "--server-key"), *pw = opt(c, "--password-file");
	struct ferry_secret *pub = NULL, *pass = NULL;
	ferry_err rc;

	if (!key || !pw)
		return CLI_EXIT_USAGE;
	rc = cli_key_read(&pub, key);
	if (!rc)
		rc = cli_read_secret_file(&pass, pw, 1024);
	if (!rc)
		rc = net_agent_escrow(&c->a, pass, pub->data);
	if (!rc)
		printf("escrowed: fallback password sealed to the server key\n");
	ferry_secret_free(pass);
	ferry_secret_free(pub);
	return report(rc);
}

static int do_event(struct ctx *c)
{
	if (!opt(c, "--kind"))
		return CLI_EXIT_USAGE;
	return report(net_agent_event(&c->a, opt(c, "--kind"), opt(c, "--detail")));
}

/*
 * One status report from options (the service sends them on its own; this is
 * for tests and admins): posted now with --seq N, or with --queue put in the
 * outbox with the next seq, as the service does, for `flush` to send.
 */
static int do_status(struct ctx *c)
{
	const char *seq = opt(c, "--seq"), *phase = opt(c, "--phase");
	bool queue = has(c, "--queue");
	cJSON *j = cJSON_CreateObject();
	bool dup = false;
	ferry_err rc;

	if ((!seq && !queue) || !phase || !j) {
		cJSON_Delete(j);
		return CLI_EXIT_USAGE;
	}
	if (seq)
		cJSON_AddNumberToObject(j, "seq", (double)strtoull(seq, NULL, 10));
	cJSON_AddStringToObject(j, "phase", phase);
	if (opt(c, "--runbook"))
		cJSON_AddStringToObject(j, "runbook", opt(c, "--runbook"));
	if (opt(c, "--step"))
		cJSON_AddStringToObject(j, "step", opt(c, "--step"));
	if (has(c, "--rehearsal"))
		cJSON_AddBoolToObject(j, "rehearsal", true);
	if (opt(c, "--cached-user")) {
		cJSON *u = cJSON_AddArrayToObject(j, "cached_users");

		cJSON_AddItemToArray(u, cJSON_CreateString(opt(c, "--cached-user")));
	}
	if (queue) {
		rc = net_agent_queue_status(&c->a, j);
		if (!rc)
			printf("status: queued as seq %llu\n", (unsigned long long)c->a.status_seq);
	} else {
		rc = net_agent_status(&c->a, j, &dup);
		if (!rc)
			printf("status: %s\n", dup ? "duplicate" : "stored");
	}
	cJSON_Delete(j);
	return report(rc);
}

static int do_flush(struct ctx *c)
{
	unsigned n = 0;
	ferry_err rc = net_agent_flush(&c->a, &n);

	if (!rc)
		printf("sent: %u events and status reports\n", n);
	return report(rc);
}

static void sleep_s(uint32_t s)
{
#ifdef _WIN32
	Sleep(s * 1000u);
#else
	struct timespec ts = { (time_t)s, 0 };
	nanosleep(&ts, NULL);
#endif
}

/* The poll loop a service would run, for a bounded time (measurements). */
static int do_run(struct ctx *c)
{
	const char *f = opt(c, "--for"), *iv = opt(c, "--interval");
	time_t end, start = time(NULL);
	unsigned polls = 0, news = 0, fails = 0;

	if (!f)
		return CLI_EXIT_USAGE;
	end = start + atol(f);
	while (time(NULL) < end) {
		enum net_poll_result res;
		uint32_t rnd = 0, wait;
		ferry_err rc = net_agent_poll(&c->a, &res, NULL);

		polls++;
		news += !rc && res == NET_POLL_NEW;
		fails += rc != FERRY_OK;
		RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
		wait = net_next_wait_s(rc ? NET_OUTCOME_TRANSIENT : NET_OUTCOME_OK, c->a.failures,
				       c->a.poll_s, c->a.retry_after_s, rnd);
		if (iv)
			wait = (uint32_t)atol(iv);
		if (time(NULL) + (time_t)wait > end)
			break;
		sleep_s(wait);
	}
	printf("run: %u polls (%u new, %u failed) in %ld s; interval %u s; HTTP bytes up %llu, "
	       "down %llu (headers + bodies, TLS not counted)\n", polls, news, fails,
	       (long)(time(NULL) - start), net_poll_interval(c->a.poll_s),
	       (unsigned long long)c->a.bytes_up, (unsigned long long)c->a.bytes_down);
	return 0;
}

int cmd_agent(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct ctx *c);
	} subs[] = {
		{ "enroll", do_enroll }, { "poll", do_poll }, { "bundle-dir", do_bundle_dir },
		{ "fetch-odj", do_fetch_odj }, { "escrow", do_escrow }, { "event", do_event },
		{ "flush", do_flush }, { "run", do_run }, { "status", do_status },
		{ "package", do_package },
	};
	struct ctx *c;
	int rc = CLI_EXIT_USAGE;

	if (argc < 2)
		goto usage;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		c = ferry_calloc(1, sizeof(*c));
		if (!c)
			return 1;
		c->argc = argc - 1;
		c->argv = argv + 1;
		if (!opt(c, "--state"))
			rc = CLI_EXIT_USAGE;
		else if (net_global_init() || open_agent(c))
			rc = report(FERRY_EINVAL);
		else
			rc = subs[i].run(c);
		ferry_free(c);
		break;
	}
usage:
	if (rc == CLI_EXIT_USAGE)
		fprintf(stderr, "usage: ferry agent enroll|poll|bundle-dir|fetch-odj|escrow|event|"
				"flush|run|status|package --state DIR [options] (see docs/net.md)\n");
	return rc;
}
