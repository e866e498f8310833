/*
 * The experience the pipe hands to the tile and the notifier: a pure mapping
 * from what the scheduler decided and where the engine is to one
 * struct ipc_experience (screen, texts, image, target user, fallback,
 * progress). Texts come from ux_texts_get, so the preview, the tile and the
 * notifier read the same words. No clock, no I/O.
 */
#ifndef FERRY_UX_EXPERIENCE_H
#define FERRY_UX_EXPERIENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "ipc/msg.h"
#include "runbook/runbook.h"
#include "runbook/schedule.h"
#include "ux/texts.h"

struct ux_experience_input {
	const struct schedule_decision *decision;
	/* The runbook the decision concerns (NULL = built-in texts). */
	const struct runbook *rb;
	/* The engine, when a runbook is running: its last status and the
	 * step/phase it reported. engine_known false = no engine yet. */
	bool engine_known;
	enum engine_status status;
	enum engine_phase phase;
	size_t step, n_steps;
	const char *step_name; /* the next step's op name, or NULL */
	const struct ux_vars *vars;
	bool fallback_available;
	/* Unix seconds UTC: the scheduler's `now`, to turn the decision's
	 * next_check into starts_at and snooze_max_minutes. */
	int64_t now;
};

/** Percent of `n` steps done when `step` is next, 0..100 (n == 0: 0). */
unsigned ux_progress_percent(size_t step, size_t n);

/** The IPC screen a scheduler experience is shown on. */
enum ipc_screen ux_screen_for(enum schedule_experience e);

/**
 * The longest snooze, in minutes, the decision allows at `now`: 0 unless the
 * migration is offered (start now / snooze); then the minutes left before
 * enforcement (next_check), rounded down so a snooze never passes it, capped
 * at IPC_SNOOZE_MIN_MAX; IPC_SNOOZE_MIN_MAX when nothing is enforced.
 */
uint32_t ux_snooze_max_minutes(const struct schedule_decision *d, int64_t now);

/**
 * Fill `out` (generation left 0: the service numbers experiences). A stopped
 * engine shows the service-unavailable screen whatever the scheduler said,
 * since the user must not wait for a migration that will not come. Texts
 * that do not fit are cut at a UTF-8 boundary; FERRY_ECORRUPT only for a
 * template with an unknown placeholder (runbook validation refuses those).
 */
ferry_err ux_experience_build(struct ipc_experience *out, const struct ux_experience_input *in);

#endif
