/*
 * The agent's own state files in <state>\net, read at every start of the
 * service: agent.json (net_agent_open), the accepted bundle.json
 * (net_agent_target_domain) and the event outbox outbox.jsonl
 * (net_agent_flush, which parses it before it would send anything; the
 * key store here has no token, so nothing is ever sent), and the server's
 * enrolment reply (net_agent_enrolled), which must never lower the
 * anti-replay mark; protocol v2's catalog.json read back (net_agent_load_v2,
 * marks set so it is read) and an assignment's catalog_sha256 lookup
 * (net_agent_accept_v2 with no catalog held and none to fetch), and a
 * bundle's /odj_sealed list (net_odj_sealed_check, then a lookup).
 *
 * Input byte 0 picks the file (or the reply); the rest is its content,
 * written to a private temp folder. Nothing may crash or leak; what is loaded stays
 * within its buffers (NUL-terminated strings).
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/agent_v2.h"
#include "net/odj_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static ferry_err ks_load(void *ctx, const char *name, struct ferry_secret **out)
{
	(void)ctx;
	*out = NULL;
	return ferry_error_set(FERRY_ENOTFOUND, "%s: not stored", name);
}

/* Saves are accepted and forgotten: an enrolment reply's token goes nowhere. */
static ferry_err ks_save(void *ctx, const char *name, const uint8_t *d, size_t len)
{
	(void)ctx;
	(void)name;
	(void)d;
	(void)len;
	return FERRY_OK;
}

static const struct net_keystore ks = { ks_load, ks_save, NULL };

static void put(const char *name, const uint8_t *d, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(d, 1, len, f) != len || fclose(f))
		abort();
}

static void drop(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = { "agent.json", "bundle.json", "outbox.jsonl", NULL,
					     "catalog.json" };
	struct net_accepted *acc = NULL;
	static struct net_agent a; /* large: not on the stack */
	const char *file;
	char domain[NET_NAME_MAX];
	unsigned sent = 0;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_agent_state.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	if (size < 1)
		return 0;
	if (data[0] % 7 == 6) {
		cJSON *l = cJSON_ParseWithLength((const char *)data + 1, size - 1);
		uint8_t sha[32];

		if (net_odj_sealed_check(l, "fuzz") == FERRY_OK)
			(void)net_odj_sealed_digest(sha, l, "FIN-PC-001");
		cJSON_Delete(l);
		return 0;
	}
	if (data[0] % 7 == 5) {
		/* an assignment from the server: only its lookup key is read before
		 * the catalog it names is needed, and there is none */
		if (net_agent_open(&a, dir, &ks, NULL) != FERRY_OK)
			abort();
		snprintf(a.id, sizeof(a.id), "fuzz");
		if (net_agent_accept_v2(&a, data + 1, size - 1, NULL, NULL, &acc) == FERRY_OK ||
		    acc || a.asg_mark.sequence)
			abort();
		return 0;
	}
	if (data[0] % 7 == 3) {
		/* the enrolment reply: whatever it says, the mark stays */
		if (net_agent_open(&a, dir, &ks, NULL) != FERRY_OK)
			abort();
		a.mark.sequence = 7;
		(void)net_agent_enrolled(&a, data + 1, size - 1);
		if (a.mark.sequence != 7 || strnlen(a.id, sizeof(a.id)) == sizeof(a.id))
			abort();
		drop("agent.json");
		return 0;
	}
	file = files[data[0] % 7];
	put(file, data + 1, size - 1);
	if (net_agent_open(&a, dir, &ks, NULL) == FERRY_OK || file == files[0]) {
		if (strnlen(a.id, sizeof(a.id)) == sizeof(a.id) ||
		    strnlen(a.server, sizeof(a.server)) == sizeof(a.server) ||
		    strnlen(a.pin, sizeof(a.pin)) == sizeof(a.pin))
			abort();
	}
	if (net_agent_target_domain(&a, domain, sizeof(domain)) == FERRY_OK &&
	    strnlen(domain, sizeof(domain)) == sizeof(domain))
		abort();
	if (file == files[2] && net_agent_flush(&a, &sent) == FERRY_OK && sent)
		abort(); /* no token: nothing can have been sent */
	if (file == files[4]) {
		a.cat_mark.sequence = a.asg_mark.sequence = 1;
		/* no assignment.json: whatever the catalog, nothing is loaded */
		if (net_agent_load_v2(&a, &acc) == FERRY_OK || acc)
			abort();
	}
	drop(file);
	return 0;
}
