/*
 * Status reports (docs/protocol.md, POST /v1/agents/{id}/status): the phase
 * vocabulary, each phase's stage in the wave funnel, and the stuck rule.
 *
 * Funnel stages, in order (a device counts in every stage up to the
 * highest it reached):
 *   expected -> enrolled -> credentials_cached -> blob_ready -> unjoined
 *   -> joined -> reacl_done -> complete;  stopped (failed or stopped) apart.
 */
#ifndef FERRY_SRV_STATUS_H
#define FERRY_SRV_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "srv_store.h"
#include "util/err.h"

enum srv_stage {
	SRV_STAGE_EXPECTED,
	SRV_STAGE_ENROLLED,
	SRV_STAGE_CREDS,
	SRV_STAGE_BLOB,
	SRV_STAGE_UNJOINED,
	SRV_STAGE_JOINED,
	SRV_STAGE_REACL,
	SRV_STAGE_COMPLETE,
	SRV_STAGE_COUNT
};

extern const char *const srv_stage_names[SRV_STAGE_COUNT];

/** The stage of an agent's phase, or -1 for a phase not in the vocabulary. */
int srv_phase_stage(const char *phase);

/** True for phases that end a device's run without completing it. */
bool srv_phase_stopped(const char *phase);

/**
 * Validate a status report body; on success *seq, *phase (borrowed from j)
 * and *progress_key (phase/runbook/step, borrowed into buf) are set.
 * FERRY_ECORRUPT naming the member otherwise.
 */
ferry_err srv_status_check(const cJSON *j, uint64_t *seq, const char **phase);

/**
 * A status report's "rehearsal" member (absent = false): a rehearsal's
 * report is recorded and never acted on. FERRY_ECORRUPT when not a boolean.
 */
ferry_err srv_status_rehearsal(const cJSON *j, bool *rehearsal);

/**
 * POST /odj's body: "ou" (optional text of at most 512 bytes, the runbook's
 * computer_ou; *ou borrowed from j or NULL) and "dry_run" (optional
 * boolean). FERRY_ECORRUPT naming the member otherwise.
 */
ferry_err srv_odj_request_check(const cJSON *j, const char **ou, bool *dry_run);

/**
 * One device's state for filters and the funnel: "complete", "failed"
 * (stopped), "stuck" (enrolled, not finished, and no progress for
 * stuck_after_s or not seen for lost_after_s), otherwise "active" or
 * "waiting" (not enrolled).
 */
const char *srv_device_state(const cJSON *dev, int64_t now, int64_t stuck_after_s,
			     int64_t lost_after_s);

/** srv_device_state for a store row (the one home of the rule; the JSON form calls it). */
const char *srv_row_state(const struct srv_device_row *r, int64_t now, int64_t stuck_after_s,
			  int64_t lost_after_s);

/** The funnel stage a device counts up to: its reported stage, at least enrolled
 *  once it has an agent, at least blob_ready once a blob waits for it. */
int srv_row_funnel_stage(const struct srv_device_row *r);

/**
 * The funnel of a wave from its device list (srv_store SRV_LIST_DEVICES):
 * {"wave","expected","enrolled",...,"complete","stopped","stuck"}.
 */
cJSON *srv_funnel(const cJSON *devices, const char *wave, int64_t now, int64_t stuck_after_s,
		  int64_t lost_after_s);

#endif
