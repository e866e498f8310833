/*
 * The service's side of the migration-server protocol (docs/protocol.md,
 * docs/net.md): core/net's agent driven from ferrysvc.
 *
 *   start     enrol when needed, poll once (bounded by the client's
 *             timeouts), and hand what was accepted (a v2 catalog and
 *             assignment, or a v1 bundle: net/agent_v2.h) to the agent in
 *             memory. core/net keeps its one copy on disk (<state>\net\
 *             catalog.json + assignment.json, or bundle.json): a server that
 *             cannot be reached leaves the last accepted in force, read back
 *             and verified again.
 *   thread    poll with If-None-Match at the server's interval, back off
 *             with jitter and honour Retry-After (core/net/retry.h), flush
 *             the event outbox, and track "server unreachable". A new
 *             bundle goes to the agent, which applies it at its next safe
 *             point (no runbook in a phase).
 *   platform  a platform_layer over the agent's platform: obtain_odj
 *             fetches the sealed blob (POST /odj with the runbook's
 *             computer_ou), which core/net opens and validates, and keeps
 *             it in the server's sealed form in <state>\odj.sealed;
 *             odj_ready opens and validates that file (unjoin_domain's
 *             guard); import_odj opens it again, imports it and deletes it
 *             (fetched again when missing); report_event queues an event.
 *   rehearsal no network side effect: obtain_odj is the server's dry run
 *             (nothing provisioned nor stored), checked in memory and kept
 *             nowhere; no escrow; status reports carry "rehearsal": true,
 *             which the server records and never acts on.
 *   escrow    svc_net_escrow, the one place a fallback password goes to
 *             the server: the Windows binding hands it the password it
 *             made (never in a rehearsal).
 *   events    the log's event hook (svc_log_set_event_hook) queues every
 *             milestone while the client runs.
 *   status    svc_net_status, the agent story's phase hook, queues a
 *             status report (POST /v1/agents/{id}/status) in the same
 *             outbox on every transition; the poll thread adds a heartbeat
 *             repeating the last one at its first good poll and whenever a
 *             day passed without a report.
 *             The outbox's flush sends them, idempotent by seq.
 *
 * The same accept path serves a signed bundle an admin dropped in BundleDir
 * (bundle.json) when no server is configured.
 *
 * Invariant: one net_agent, used under `lock` only (it is not thread-safe).
 * Lock order: the agent's lock, then `lock`; nothing here waits for the
 * agent while holding `lock` (a new bundle is handed over after leaving it).
 * No secret reaches the log: the token, keys and blob stay in ferry_secret
 * or DPAPI, and events carry kinds and reasons only.
 */
/* Core's headers before <windows.h>: sec/sid.h defines SID_REVISION as
 * Windows does (service/win/profops_int.h). */
#include "net/agent_v2.h"
#include "svc/svc_net.h"

#include <windows.h>
#include <bcrypt.h>
#include <wincrypt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "engine/platform_layer.h"
#include "net/agent.h"
#include "net/package_fetch.h"
#include "net/retry.h"
#include "odj/odj.h"
#include "util/base64.h"
#include "util/hex.h"
#include "net/odj_dir.h"
#include "util/mem.h"
#include "win/agent_key.h"
#include "win/config.h"
#include "win/fileio.h"
#include "win/sysops.h"
#include "winutil.h"
#include "wu_tree.h"

#define NET_SECRET_MAX 4096u
#define FLUSH_EVERY_S 10u
#define HEARTBEAT_S 86400u /* a status report at least daily, even with no transition */
#define LAST_STATUS "status-last" /* <state>\net\status-last.json: the heartbeat repeats it */

struct svc_net {
	struct platform_layer layer; /* first: the layer's ctx is this struct */
	CRITICAL_SECTION lock;
	struct net_agent a;
	struct net_keystore ks;
	wchar_t dir[MAX_PATH];      /* <state>\net */
	wchar_t state[MAX_PATH];
	bool rehearse, server;
	uint8_t escrow_pub[SEAL_KEY_LEN];
	bool have_escrow;
	/* No server: BundleDir, and the SHA-256 its signed bundle names for this
	 * PC's sealed ODJ blob (net/odj_dir.h). */
	char bundle_dir[MAX_PATH * 3];
	uint8_t odj_sha[32];
	bool have_odj_sha;
	struct ferry_secret *enroll_key; /* ENROLL_KEY (policy/MSI); NULL = none; never logged */
	HANDLE thread, wake;
	uint32_t poll_override_s;   /* tests: poll this often instead (0 = the server's) */
	volatile LONG stopping;
	svc_net_bundle_fn on_bundle; /* the agent takes new bundles here */
	void *on_bundle_ctx;
	rehearse_sink_fn record;     /* rehearsal records this layer makes */
	void *record_ctx;
	cJSON *last_status;          /* the last report queued (phase, runbook, step) */
	int64_t status_at;           /* when it was queued (a heartbeat is one too) */
	/* The PC's profile SIDs for the server's slice (issue 17 §1): the agent
	 * hands the current list; the poll thread sends it when it differs from
	 * the last one the server accepted. */
	char **profiles, *profiles_sent;
	size_t n_profiles;
};

/* --- key store: DPAPI files in <state>\net ------------------------------------ */

static void ks_path(struct svc_net *n, wchar_t *out, const char *name)
{
	swprintf(out, MAX_PATH, L"%ls\\%hs.dpapi", n->dir, name);
}

static ferry_err ks_save(void *ctx, const char *name, const uint8_t *data, size_t len);

static ferry_err ks_load(void *ctx, const char *name, struct ferry_secret **out)
{
	wchar_t path[MAX_PATH];
	uint8_t *blob = NULL;
	size_t len = 0;
	ferry_err err;

	ks_path(ctx, path, name);
	if ((err = win_file_read(&blob, &len, path, NET_SECRET_MAX)) != FERRY_OK)
		return err;
	err = win_agent_key_unprotect(out, blob, len);
	/* An earlier build sealed in machine scope, which any local user can
	 * open: seal it again for SYSTEM only (agent_key.h). */
	if (err == FERRY_OK && win_agent_key_machine_scope(blob, len)) {
		ferry_err re = ks_save(ctx, name, (*out)->data, (*out)->len);

		svc_log_event(SVC_EV_FAILURE, "net: %s was sealed in DPAPI machine scope (any local "
			      "user could open it): %s", name, re ? "resealing for SYSTEM failed" :
								  "resealed for SYSTEM only; "
								  "re-enrol to retire the old key");
	}
	ferry_free(blob);
	return err;
}

static ferry_err ks_save(void *ctx, const char *name, const uint8_t *data, size_t len)
{
	wchar_t path[MAX_PATH];
	uint8_t *blob = NULL;
	size_t blen = 0;
	ferry_err err;

	ks_path(ctx, path, name);
	if ((err = win_agent_key_protect(&blob, &blen, data, len)) != FERRY_OK)
		return err;
	err = win_file_write_atomic(path, blob, blen);
	ferry_free(blob);
	return err;
}

/* --- configuration ----------------------------------------------------------------- */

static ferry_err set_str(char *dst, size_t cap, const char *v)
{
	if (!v || !*v)
		return FERRY_OK;
	if (strlen(v) >= cap)
		return ferry_error_set(FERRY_EINVAL, "net: a setting is too long");
	strcpy(dst, v);
	return FERRY_OK;
}

/* Command line first (tests), then policy/MSI (service/win/config.h). */
static ferry_err configure(struct svc_net *n, const struct svc_options *o, uint8_t *pub,
			   bool *have_pub, char *bundle_dir, size_t cap)
{
	struct win_config *c = NULL;
	const char *url, *pin, *key;
	ferry_err err;

	if ((err = win_config_load(&c)) != FERRY_OK)
		svc_log("net: settings unreadable, using the command line only: %s",
			ferry_error_detail());
	url = o->server[0] ? o->server : c ? c->server_url : NULL;
	pin = o->pin[0] ? o->pin : c ? c->server_pin_sha256 : NULL;
	key = o->signing_key[0] ? o->signing_key : c ? c->signing_public_key : NULL;
	snprintf(bundle_dir, cap, "%s", c && c->bundle_dir ? c->bundle_dir : "");
	err = set_str(n->a.server, sizeof(n->a.server), url);
	if (!err && pin && *pin)
		snprintf(n->a.pin, sizeof(n->a.pin), "%s%s", strncmp(pin, "sha256//", 8) ?
			 "sha256//" : "", pin);
	if (!err)
		err = set_str(n->a.ca_file, sizeof(n->a.ca_file), o->ca);
	/* The enrolment key comes from the registry only: never a command line. */
	if (!err && c && c->enroll_key)
		err = ferry_secret_from(&n->enroll_key, c->enroll_key, strlen(c->enroll_key));
	*have_pub = false;
	if (!err && key && *key) {
		err = sig_public_key_parse(pub, key, "SigningPublicKey");
		*have_pub = !err;
	}
	win_config_free(c);
	return err;
}

/* --- the accepted bundle -------------------------------------------------------- */

static ferry_err write_json(const wchar_t *dir, const char *name, const cJSON *j)
{
	wchar_t path[MAX_PATH];
	char *text = cJSON_PrintUnformatted(j);
	ferry_err err;

	if (!text)
		return ferry_error_set(FERRY_ENOMEM, "net: out of memory");
	swprintf(path, MAX_PATH, L"%ls\\%hs.json", dir, name);
	err = win_file_write_atomic(path, text, strlen(text));
	cJSON_free(text);
	return err;
}

/* The escrow key the accepted bundle or catalog names (a v2 pair without
 * one, or a bundle without one, leaves the one held), and the digest the
 * bundle names for this PC's BundleDir blob. */
static void note_escrow_key(struct svc_net *n, const struct net_accepted *acc)
{
	if (net_accepted_escrow_key(acc, n->escrow_pub))
		n->have_escrow = true;
	n->have_odj_sha = net_accepted_odj_digest(n->odj_sha, acc, n->a.machine) == FERRY_OK;
	ferry_error_clear();
}

/* What is in force for the agent: `acc` (just accepted), handed over. */
static void in_force(struct svc_net *n, struct net_accepted *acc, struct net_accepted **out,
		     const char *how)
{
	char what[96];

	note_escrow_key(n, acc);
	net_accepted_describe(acc, what, sizeof(what));
	svc_log("net: %s in force (%s)", what, how);
	*out = acc;
}

/* The last accepted (v2 pair once a catalog was accepted, else the bundle),
 * when the server cannot give anything now. */
static void use_previous(struct svc_net *n, struct net_accepted **out)
{
	struct net_accepted *acc = NULL;
	ferry_err err = net_agent_load_any(&n->a, &acc);

	if (err == FERRY_OK)
		in_force(n, acc, out, "the last accepted, verified again");
	else if (err != FERRY_ENOTFOUND)
		svc_log_event(SVC_EV_FAILURE, "what was last accepted is refused: %s",
			      ferry_error_detail());
}

/* --- status reports -------------------------------------------------------------------- */

/* Queue one report (under `lock`) and keep it as the heartbeat's model. */
static void status_queue_locked(struct svc_net *n, cJSON *report, const char *what)
{
	if (net_agent_queue_status(&n->a, report) != FERRY_OK) {
		svc_log("net: status report (%s) not queued: %s", what, ferry_error_detail());
		cJSON_Delete(report);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(report, "seq");
	cJSON_DeleteItemFromObjectCaseSensitive(report, "heartbeat");
	if (write_json(n->dir, LAST_STATUS, report) != FERRY_OK)
		svc_log("net: %s not kept: %s", LAST_STATUS, ferry_error_detail());
	cJSON_Delete(n->last_status);
	n->last_status = report;
	n->status_at = (int64_t)time(NULL);
}

void svc_net_status(void *ctx, const char *phase, const char *runbook, const char *step)
{
	struct svc_net *n = ctx;
	cJSON *r;

	if (!n || !n->server)
		return;
	/* A rehearsal's reports say so: the server records them and acts on none. */
	if (!(r = cJSON_CreateObject()) || !cJSON_AddStringToObject(r, "phase", phase) ||
	    (runbook[0] && !cJSON_AddStringToObject(r, "runbook", runbook)) ||
	    (step[0] && !cJSON_AddStringToObject(r, "step", step)) ||
	    (n->rehearse && !cJSON_AddBoolToObject(r, "rehearsal", true)) ||
	    !cJSON_AddBoolToObject(r, "heartbeat", false)) {
		cJSON_Delete(r);
		svc_log("net: status report (%s) not queued: out of memory", phase);
		return;
	}
	EnterCriticalSection(&n->lock);
	status_queue_locked(n, r, phase);
	LeaveCriticalSection(&n->lock);
	if (n->wake)
		SetEvent(n->wake); /* sent at once rather than at the next poll */
}

/* The daily heartbeat (under `lock`): the last report again, marked as one. */
static void heartbeat_locked(struct svc_net *n)
{
	cJSON *r;

	if (!n->a.id[0] || (int64_t)time(NULL) - n->status_at < (int64_t)HEARTBEAT_S)
		return;
	r = n->last_status ? cJSON_Duplicate(n->last_status, true) : cJSON_CreateObject();
	if (r && !n->last_status && !cJSON_AddStringToObject(r, "phase", "idle"))
		cJSON_Delete(r), r = NULL;
	if (r && n->rehearse && !cJSON_GetObjectItemCaseSensitive(r, "rehearsal") &&
	    !cJSON_AddBoolToObject(r, "rehearsal", true))
		cJSON_Delete(r), r = NULL;
	if (!r || !cJSON_AddBoolToObject(r, "heartbeat", true)) {
		cJSON_Delete(r);
		return;
	}
	status_queue_locked(n, r, "heartbeat");
}

/* The last report of an earlier run, so that a heartbeat never goes back to "idle". */
static void status_load(struct svc_net *n)
{
	wchar_t path[MAX_PATH];
	uint8_t *text = NULL;
	size_t len = 0;
	cJSON *j;

	swprintf(path, MAX_PATH, L"%ls\%hs.json", n->dir, LAST_STATUS);
	if (win_file_read(&text, &len, path, 4096) != FERRY_OK)
		return;
	j = cJSON_ParseWithLength((const char *)text, len);
	ferry_free(text);
	if (cJSON_IsObject(j) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "phase")))
		n->last_status = j;
	else
		cJSON_Delete(j);
}

/* --- start ------------------------------------------------------------------------- */

/*
 * BundleDir (no server): this PC's sealing key, for the admin to seal its
 * ODJ blob to (net/odj_dir.h): <state>\net\agent.pub and a log line. It
 * is public; the private key stays in the key store.
 */
static void publish_key(struct svc_net *n)
{
	uint8_t pub[SEAL_KEY_LEN];
	wchar_t path[MAX_PATH];
	char *b64 = NULL;

	if (net_agent_public_key(&n->a, pub) != FERRY_OK ||
	    ferry_base64_encode(&b64, pub, sizeof(pub)) != FERRY_OK) {
		svc_log("net: this PC's sealing key: %s", ferry_error_detail());
		return;
	}
	swprintf(path, MAX_PATH, L"%ls\\agent.pub", n->dir);
	if (win_file_write_atomic(path, b64, strlen(b64)) != FERRY_OK)
		svc_log("net: %ls not written: %s", path, ferry_error_detail());
	svc_log("net: this PC's ODJ sealing key (seal its BundleDir blob to it: "
		"ferry seal box --to KEY --aad %s): %s", n->a.machine, b64);
	ferry_free(b64);
}

/* Enrol with the server's enrolment key when one is configured. */
static ferry_err enroll(struct svc_net *n)
{
	return net_agent_enroll_key(&n->a, "Windows", n->enroll_key);
}

static ferry_err first_contact(struct svc_net *n, const char *bundle_dir,
			       struct net_accepted **out)
{
	struct net_accepted *acc = NULL;
	struct bundle *b = NULL;
	enum net_poll_result res;
	ferry_err err;

	if (!n->server) {
		if ((err = net_agent_bundle_dir(&n->a, bundle_dir, &b)) == FERRY_OK &&
		    (err = net_accepted_of_bundle(&acc, b)) == FERRY_OK)
			in_force(n, acc, out, "BundleDir");
		else
			svc_log_event(SVC_EV_FAILURE, "BundleDir bundle refused: %s", ferry_error_detail());
		return err;
	}
	if (!n->a.id[0] && (err = enroll(n)) != FERRY_OK) {
		svc_log("net: enrolment failed: %s", ferry_error_detail());
		use_previous(n, out);
		return FERRY_OK;
	}
	svc_log("net: enrolled as %s with %s", n->a.id, n->a.server);
	err = net_agent_poll_any(&n->a, &res, &acc);
	if (err == FERRY_OK && res == NET_POLL_NEW) {
		in_force(n, acc, out, "accepted now");
	} else if (err == FERRY_OK) {
		use_previous(n, out);
	} else {
		svc_log("net: first poll failed: %s", ferry_error_detail());
		use_previous(n, out);
		err = FERRY_OK;
	}
	return err;
}

/* The log's milestones, queued for the server (svc_log_set_event_hook). */
static void event_hook(void *ctx, const char *kind, const char *detail)
{
	struct svc_net *n = ctx;

	EnterCriticalSection(&n->lock);
	if (net_agent_event(&n->a, kind, detail) != FERRY_OK)
		svc_log("net: event %s not queued: %s", kind, ferry_error_detail());
	LeaveCriticalSection(&n->lock);
}

ferry_err svc_net_start(struct svc_net **out, const struct svc_options *o,
			struct net_accepted **bundle)
{
	struct svc_net *n;
	uint8_t pub[SIG_ED25519_PUBLIC_LEN];
	char bundle_dir[MAX_PATH * 3], dir8[MAX_PATH * 3];
	bool have_pub = false, bundle_file = false;
	ferry_err err;

	*out = NULL;
	*bundle = NULL;
	if (o->batch[0])
		return FERRY_OK; /* an explicit batch wins: no server, no BundleDir */
	if (!(n = ferry_calloc(1, sizeof(*n))))
		return ferry_error_set(FERRY_ENOMEM, "net: out of memory");
	InitializeCriticalSection(&n->lock);
	n->rehearse = o->rehearse;
	if ((err = configure(n, o, pub, &have_pub, bundle_dir, sizeof(bundle_dir))) != FERRY_OK)
		goto fail;
	n->server = n->a.server[0] != '\0';
	if (!n->server && bundle_dir[0]) {
		char probe[MAX_PATH * 3 + 16];
		FILE *f;

		snprintf(probe, sizeof(probe), "%s\\bundle.json", bundle_dir);
		if ((f = fopen(probe, "rb")))
			bundle_file = true, fclose(f);
	}
	if (!n->server)
		snprintf(n->bundle_dir, sizeof(n->bundle_dir), "%s", bundle_dir);
	if (!n->server && !bundle_file) {
		ferry_secret_free(n->enroll_key);
		DeleteCriticalSection(&n->lock);
		ferry_free(n);
		return FERRY_OK; /* neither: only an admin's --batch runs (agent.c) */
	}
	if (!have_pub) {
		err = ferry_error_set(FERRY_EINVAL, "a server or signed bundle needs SigningPublicKey");
		goto fail;
	}
	/* The state folder and state\net, each made or judged by its tree rule
	 * (the start's wu_tree_secure did it already; judging again is cheap
	 * and keeps this path safe on its own). */
	if (o->state_dir[0]) {
		swprintf(n->state, MAX_PATH, L"%ls", o->state_dir);
		err = wu_tree_folder(n->state, "state");
	} else {
		err = win_program_data(n->state, MAX_PATH, "state");
	}
	swprintf(n->dir, MAX_PATH, L"%ls\\net", n->state);
	if (err != FERRY_OK || (err = wu_tree_folder(n->dir, "state\\net")) != FERRY_OK)
		goto fail;
	wu_utf8_into(dir8, sizeof(dir8), n->dir);
	n->ks = (struct net_keystore){ ks_load, ks_save, n };
	{
		char srv[NET_PATH_MAX], pin[128], ca[NET_PATH_MAX];

		/* net_agent_open reads agent.json; the configuration wins over it. */
		memcpy(srv, n->a.server, sizeof(srv));
		memcpy(pin, n->a.pin, sizeof(pin));
		memcpy(ca, n->a.ca_file, sizeof(ca));
		if ((err = net_global_init()) != FERRY_OK ||
		    (err = net_agent_open(&n->a, dir8, &n->ks, pub)) != FERRY_OK)
			goto fail;
		memcpy(n->a.server, srv, sizeof(srv));
		memcpy(n->a.pin, pin, sizeof(pin));
		memcpy(n->a.ca_file, ca, sizeof(ca));
	}
	snprintf(n->a.machine, sizeof(n->a.machine), "%s", o->device);
	if (!n->a.machine[0]) {
		wchar_t w[MAX_COMPUTERNAME_LENGTH + 1];
		DWORD len = MAX_COMPUTERNAME_LENGTH + 1;

		if (GetComputerNameW(w, &len))
			wu_utf8_into(n->a.machine, sizeof(n->a.machine), w);
	}
	if (!n->a.domain[0])
		snprintf(n->a.domain, sizeof(n->a.domain), "%s", "(current domain)");
	net_agent_bind(&n->a);
	status_load(n);
	if ((err = first_contact(n, bundle_dir, bundle)) != FERRY_OK)
		goto fail;
	if (!n->server)
		publish_key(n);
	svc_log_set_event_hook(event_hook, n);
	*out = n;
	return FERRY_OK;
fail:
	svc_log_event(SVC_EV_FAILURE, "migration server client: %s", ferry_error_detail());
	ferry_secret_free(n->enroll_key);
	cJSON_Delete(n->last_status);
	DeleteCriticalSection(&n->lock);
	ferry_free(n);
	return err;
}

/* --- the poll thread ------------------------------------------------------------------ */

static ferry_err svc_random(void *buf, size_t len)
{
	NTSTATUS st = BCryptGenRandom(NULL, buf, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG);

	if (st < 0)
		return ferry_error_set(FERRY_ESYSTEM, "BCryptGenRandom failed");
	return FERRY_OK;
}

static uint32_t jitter(void)
{
	uint32_t r = 0;

	(void)svc_random(&r, sizeof(r));
	return r;
}

/* The list as one text, to compare with what was sent (NULL: out of memory). */
static char *profiles_joined(char *const *v, size_t n)
{
	size_t len = 1;
	char *j;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if (!(j = ferry_calloc(1, len)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		strcat(strcat(j, v[i]), ",");
	return j;
}

/* (lock held) The profile report, once per change of the list. */
static void send_profiles(struct svc_net *n)
{
	char *joined;

	if (!n->profiles || !(joined = profiles_joined(n->profiles, n->n_profiles)))
		return;
	if (n->profiles_sent && !strcmp(joined, n->profiles_sent)) {
		ferry_free(joined);
		return;
	}
	if (net_agent_profiles(&n->a, (const char *const *)n->profiles, n->n_profiles) != FERRY_OK) {
		svc_log("net: profile SIDs not sent yet: %s", ferry_error_detail());
		ferry_free(joined);
		return;
	}
	svc_log("net: reported %zu local profile SID(s) to the server", n->n_profiles);
	ferry_free(n->profiles_sent);
	n->profiles_sent = joined;
}

static void profiles_clear(struct svc_net *n)
{
	for (size_t i = 0; i < n->n_profiles; i++)
		ferry_free(n->profiles[i]);
	ferry_free(n->profiles);
	n->profiles = NULL;
	n->n_profiles = 0;
}

/* No wake-up: a report costs a request under `lock`, which the agent's
 * worker waits for in svc_net_reachable; the next poll carries it (the
 * agent hands the first list before the poll thread starts). */
void svc_net_profiles(struct svc_net *n, const char *const *sids, size_t count)
{
	char **v;

	if (!n || !n->server || !(v = ferry_calloc(count ? count : 1, sizeof(*v))))
		return;
	EnterCriticalSection(&n->lock);
	profiles_clear(n);
	n->profiles = v;
	for (size_t i = 0; i < count; i++)
		if ((v[n->n_profiles] = ferry_strdup(sids[i])))
			n->n_profiles++;
	LeaveCriticalSection(&n->lock);
}

static DWORD WINAPI poll_thread(void *arg)
{
	struct svc_net *n = arg;
	uint32_t wait = 0;

	while (!n->stopping) {
		enum net_poll_result res = NET_POLL_UNCHANGED;
		struct net_accepted *b = NULL;
		char what[96];
		unsigned sent = 0;
		ferry_err err;

		if (WaitForSingleObject(n->wake, wait * 1000u) == WAIT_OBJECT_0 && n->stopping)
			break;
		EnterCriticalSection(&n->lock);
		if (!n->a.id[0] && enroll(n) != FERRY_OK)
			err = FERRY_EIO;
		else
			err = net_agent_poll_any(&n->a, &res, &b);
		if (err == FERRY_OK && res == NET_POLL_NEW) {
			note_escrow_key(n, b);
			/* The running batch is not swapped under the engine: the
			 * agent applies it at its next safe point. */
			net_accepted_describe(b, what, sizeof(what));
			svc_log("net: %s accepted; applied at the agent's next safe point", what);
		}
		if (err == FERRY_OK)
			heartbeat_locked(n);
		if (err == FERRY_OK && net_agent_flush(&n->a, &sent) != FERRY_OK)
			svc_log("net: events not sent yet: %s", ferry_error_detail());
		if (err == FERRY_OK)
			send_profiles(n);
		if (err != FERRY_OK)
			svc_log("net: poll failed (%u in a row): %s", n->a.failures,
				ferry_error_detail());
		wait = net_next_wait_s(err ? NET_OUTCOME_TRANSIENT : NET_OUTCOME_OK, n->a.failures,
				       n->a.poll_s, n->a.retry_after_s, jitter());
		if (n->poll_override_s && !err)
			wait = n->poll_override_s;
		LeaveCriticalSection(&n->lock);
		/* Outside `lock`: the agent's worker holds its own lock while it asks
		 * svc_net_reachable (lock order: agent, then net, never back). */
		if (b && n->on_bundle)
			n->on_bundle(n->on_bundle_ctx, b);
		net_accepted_free(b);
	}
	return 0;
}

ferry_err svc_net_run(struct svc_net *n, svc_net_bundle_fn on_bundle, void *ctx,
		      uint32_t poll_override_s)
{
	if (!n || !n->server)
		return FERRY_OK;
	n->on_bundle = on_bundle;
	n->on_bundle_ctx = ctx;
	n->poll_override_s = poll_override_s;
	if (!(n->wake = CreateEventW(NULL, FALSE, FALSE, NULL)) ||
	    !(n->thread = CreateThread(NULL, 0, poll_thread, n, 0, NULL)))
		return ferry_error_set(FERRY_ESYSTEM, "net: cannot start the poll thread");
	return FERRY_OK;
}

bool svc_net_reachable(struct svc_net *n)
{
	bool up;

	if (!n || !n->server)
		return true; /* no server: nothing to be unreachable */
	EnterCriticalSection(&n->lock);
	up = !net_is_offline((int64_t)time(NULL), n->a.last_ok, n->a.failures);
	LeaveCriticalSection(&n->lock);
	return up;
}

void svc_net_stop(struct svc_net *n)
{
	unsigned sent = 0;

	if (!n)
		return;
	InterlockedExchange(&n->stopping, 1);
	if (n->wake)
		SetEvent(n->wake);
	if (n->thread) {
		WaitForSingleObject(n->thread, INFINITE);
		CloseHandle(n->thread);
	}
	if (n->wake)
		CloseHandle(n->wake);
	svc_log_set_event_hook(NULL, NULL);
	EnterCriticalSection(&n->lock);
	if (n->server && net_agent_flush(&n->a, &sent) != FERRY_OK)
		svc_log("net: %s; the outbox keeps the events for the next start",
			ferry_error_detail());
	else if (n->server)
		svc_log("net: %u event(s) sent at stop", sent);
	LeaveCriticalSection(&n->lock);
	ferry_secret_free(n->enroll_key);
	cJSON_Delete(n->last_status);
	profiles_clear(n);
	ferry_free(n->profiles_sent);
	DeleteCriticalSection(&n->lock);
	ferry_free(n);
}

/* --- escrow ----------------------------------------------------------------------------- */

static ferry_err escrow_locked(struct svc_net *n, const struct ferry_secret *pw)
{
	ferry_err err;

	if (!n->server)
		return FERRY_OK;
	if (!n->have_escrow)
		return ferry_error_set(FERRY_ENOTFOUND, "the bundle names no escrow key");
	if ((err = net_agent_escrow(&n->a, pw, n->escrow_pub)) == FERRY_OK)
		svc_log("net: fallback password escrowed");
	return err;
}

/* With a server, a password nobody holds must not stay: the caller fails
 * the fallback step and deletes the account (svc_platform.c). */
ferry_err svc_net_escrow(void *ctx, const struct ferry_secret *pw)
{
	struct svc_net *n = ctx;
	ferry_err err;

	if (!n || !pw)
		return FERRY_OK;
	EnterCriticalSection(&n->lock);
	if ((err = escrow_locked(n, pw)) != FERRY_OK)
		svc_log_event(SVC_EV_FAILURE, "fallback password not escrowed: %s",
			      ferry_error_detail());
	LeaveCriticalSection(&n->lock);
	return err;
}

/* A package blob the staged folder lacks (package_stage.c checks its digest). */
ferry_err svc_net_package(void *ctx, const char *id, uint64_t max, uint8_t **out, size_t *len)
{
	struct svc_net *n = ctx;
	ferry_err err;

	if (!n || !n->server)
		return ferry_error_set(FERRY_ENOTFOUND, "package %s: no migration server", id);
	EnterCriticalSection(&n->lock);
	err = net_agent_package(&n->a, id, max, out, len);
	LeaveCriticalSection(&n->lock);
	return err;
}

/* --- the platform layer ---------------------------------------------------------------- */

/* <state>\odj.sealed: the server's sealed form (core/net/seal.h, sealed to
 * this agent's key and id), kept from obtain_odj until the import. */
static void odj_path(const struct svc_net *n, wchar_t *path)
{
	swprintf(path, MAX_PATH, L"%ls\\odj.sealed", n->state);
}

/* The blob on disk opened and validated (this machine, domain); *plain
 * (may be NULL: a check only) receives its text form. Under `lock`. */
static ferry_err odj_on_disk_locked(struct svc_net *n, const char *domain,
				    struct ferry_secret **plain)
{
	wchar_t path[MAX_PATH];
	uint8_t *sealed = NULL;
	size_t len = 0;
	ferry_err err;

	odj_path(n, path);
	if ((err = win_file_read(&sealed, &len, path, SEAL_OVERHEAD + 2u * ODJ_MAX_BLOB_BYTES)))
		return err;
	err = net_agent_odj_open(&n->a, sealed, len, domain, plain);
	ferry_free(sealed);
	return err;
}

/* The sealed blob from its source, validated for this machine and domain:
 * the server (POST /odj), or BundleDir bound by the signed bundle. */
static ferry_err odj_sealed_locked(struct svc_net *n, const struct net_odj_request *rq,
				   uint8_t **sealed, size_t *len)
{
	if (n->server)
		return net_agent_odj_sealed(&n->a, rq, sealed, len);
	if (!n->have_odj_sha)
		return ferry_error_set(FERRY_ENOTFOUND, "the signed bundle names no sealed ODJ blob "
				       "for %s (/odj_sealed)", n->a.machine);
	return net_agent_odj_dir(&n->a, n->odj_sha, n->bundle_dir, rq->domain, sealed, len);
}

/* The blob from its source (validated before it returns), kept on disk. */
static ferry_err odj_fetch_locked(struct svc_net *n, const char *domain, const char *ou)
{
	struct net_odj_request rq = { domain, ou, false };
	wchar_t path[MAX_PATH];
	uint8_t *sealed = NULL;
	size_t len = 0;
	ferry_err err = odj_sealed_locked(n, &rq, &sealed, &len);

	odj_path(n, path);
	if (!err)
		err = win_file_write_atomic(path, sealed, len);
	if (!err)
		svc_log("net: ODJ blob for %s obtained from %s, validated for this PC and kept "
			"sealed (%lu bytes)", domain, n->server ? "the server" : "BundleDir",
			(unsigned long)len);
	ferry_free(sealed);
	return err;
}

/* A rehearsal's obtain_odj: the server's dry run (nothing provisioned nor
 * stored there), the blob opened and validated in memory, its hash and
 * redacted inspection recorded, nothing kept on disk. */
static ferry_err odj_rehearse_locked(struct svc_net *n, const char *domain, const char *ou)
{
	struct net_odj_request rq = { domain, ou, true };
	struct ferry_secret *plain = NULL, *bin = NULL;
	struct odj_provision *p = NULL;
	uint8_t *sealed = NULL, h[32];
	size_t len = 0;
	cJSON *j = NULL;
	char hex[65], args[200];
	ferry_err err = odj_sealed_locked(n, &rq, &sealed, &len);

	if (!err)
		err = net_agent_odj_open(&n->a, sealed, len, domain, &plain);
	if (!err)
		err = net_sha256(h, plain->data, plain->len);
	if (!err) {
		ferry_hex_encode(hex, h, 32);
		snprintf(args, sizeof(args), "%s bytes=%lu sha256=%s",
			 n->server ? "dry_run=true" : "source=BundleDir", (unsigned long)plain->len,
			 hex);
		if (n->record)
			n->record(n->record_ctx, "odj_checked", args);
		if (odj_text_decode(&bin, plain->data, plain->len) == FERRY_OK &&
		    odj_decode(&p, bin->data, bin->len) == FERRY_OK &&
		    odj_provision_to_json(&j, p) == FERRY_OK)
			(void)write_json(n->state, "rehearsal-odj-inspect", j);
		svc_log("net: rehearsal: %s holds a valid ODJ blob for this PC in %s; "
			"checked read-only, nothing kept", n->server ? "the server" : "BundleDir",
			domain);
	}
	cJSON_Delete(j);
	odj_provision_free(p);
	ferry_secret_free(bin);
	ferry_secret_free(plain);
	ferry_free(sealed);
	return err;
}

static ferry_err l_obtain_odj(void *ctx, const char *domain, const char *ou)
{
	struct svc_net *n = ctx;
	const struct ferry_platform *in = platform_layer_inner(ctx);
	ferry_err err;

	EnterCriticalSection(&n->lock);
	if (n->rehearse && !n->server && !n->have_odj_sha) {
		/* As before BundleDir blobs: a rehearsal simulates it; a real run
		 * (below) stops here, before any unjoin. */
		svc_log("net: rehearsal: the signed bundle names no BundleDir ODJ blob for %s; "
			"simulated (a real run stops at obtain_odj)", n->a.machine);
		err = FERRY_OK;
	} else if (n->rehearse)
		err = odj_rehearse_locked(n, domain, ou);
	else if ((err = odj_on_disk_locked(n, domain, NULL)) != FERRY_OK)
		err = odj_fetch_locked(n, domain, ou); /* idempotent: a valid one on disk is kept */
	LeaveCriticalSection(&n->lock);
	if (err == FERRY_EBUSY) {
		svc_log("net: ODJ blob not ready yet: %s", ferry_error_detail());
		return err;
	}
	if (err != FERRY_OK) {
		svc_log_event(SVC_EV_FAILURE, "ODJ blob not obtained: %s", ferry_error_detail());
		return err;
	}
	/* A rehearsal's inner table records the op and simulates the blob on disk. */
	return n->rehearse ? in->obtain_odj(in->ctx, domain, ou) : FERRY_OK;
}

static ferry_err l_odj_ready(void *ctx, const char *domain, bool *ready)
{
	struct svc_net *n = ctx;
	const struct ferry_platform *in = platform_layer_inner(ctx);
	ferry_err err;

	if (n->rehearse)
		return in->odj_ready(in->ctx, domain, ready);
	EnterCriticalSection(&n->lock);
	err = odj_on_disk_locked(n, domain, NULL);
	LeaveCriticalSection(&n->lock);
	*ready = err == FERRY_OK;
	if (!*ready && err != FERRY_ENOTFOUND)
		svc_log("net: the ODJ blob on disk is not usable: %s", ferry_error_detail());
	return FERRY_OK;
}

/* The import from the server's sealed form: opened and validated again,
 * fetched again when missing or bad (the server gives the same bytes until
 * the join is reported), and deleted after the import whatever its result. */
static ferry_err l_import_odj(void *ctx, const char *domain, const char *ou)
{
	struct svc_net *n = ctx;
	const struct ferry_platform *in = platform_layer_inner(ctx);
	struct ferry_secret *plain = NULL;
	wchar_t path[MAX_PATH];
	ferry_err err;

	if (n->rehearse)
		return in->import_odj(in->ctx, domain, ou);
	EnterCriticalSection(&n->lock);
	if ((err = odj_on_disk_locked(n, domain, &plain)) != FERRY_OK &&
	    (err = odj_fetch_locked(n, domain, ou)) == FERRY_OK)
		err = odj_on_disk_locked(n, domain, &plain);
	LeaveCriticalSection(&n->lock);
	if (err != FERRY_OK) {
		svc_log_event(SVC_EV_FAILURE, "ODJ blob not obtained for the import: %s",
			      ferry_error_detail());
		return err;
	}
	svc_log("import_odj: domain %s, OU %s", domain, ou ? ou : "(default)");
	err = win_odj_import_blob(plain, domain);
	ferry_secret_free(plain);
	odj_path(n, path);
	if (!DeleteFileW(path) && GetLastError() != ERROR_FILE_NOT_FOUND)
		MoveFileExW(path, NULL, MOVEFILE_DELAY_UNTIL_REBOOT);
	return err;
}

static ferry_err l_create_fallback(void *ctx, const char *username)
{
	struct svc_net *n = ctx;
	const struct ferry_platform *in = platform_layer_inner(ctx);

	/* Rehearsing, no account exists and nothing is escrowed: an escrow would
	 * replace the device's real one on the server. (The real account's
	 * password reaches svc_net_escrow from the Windows binding.) */
	if (n->rehearse)
		svc_log("net: rehearsal: no fallback password is escrowed");
	return in->create_fallback_account(in->ctx, username);
}

static ferry_err l_report_event(void *ctx, const char *event, const char *reason)
{
	const struct ferry_platform *in = platform_layer_inner(ctx);

	event_hook(ctx, event, reason);
	return in->report_event(in->ctx, event, reason);
}

const struct ferry_platform *svc_net_wrap(struct svc_net *n, const struct ferry_platform *inner,
					  rehearse_sink_fn record, void *record_ctx)
{
	if (!n || (!n->server && !n->bundle_dir[0]))
		return inner;
	platform_layer_init(&n->layer, inner);
	n->layer.table.obtain_odj = l_obtain_odj;
	n->layer.table.odj_ready = l_odj_ready;
	n->layer.table.import_odj = l_import_odj;
	if (n->server) { /* without one there is nobody to tell */
		n->layer.table.create_fallback_account = l_create_fallback;
		n->layer.table.report_event = l_report_event;
	}
	n->record = record;
	n->record_ctx = record_ctx;
	return &n->layer.table;
}
