/*
 * From a runbook to its steps. The order follows design.md §1 with two
 * deliberate changes: the fallback account is created before the lock
 * screen, notice and prevent-login lease, so there is never a moment when
 * logon is blocked and no fallback account exists; and a runbook that joins
 * a domain obtains its ODJ blob first of all, so a server or DC that cannot
 * give one stops the migration before anything on the PC changed (the join
 * in hand before the unjoin, design.md §1.4).
 */
#include "engine/engine.h"

#include "util/mem.h"

static const struct {
	const char *name;
	enum engine_op_class cls;
} ops[OP_COUNT] = {
	[OP_CACHE_CREDENTIALS] = { "cache_credentials", OP_IDEMPOTENT },
	[OP_CREATE_FALLBACK_ACCOUNT] = { "create_fallback_account", OP_CHECK_THEN_ACT },
	[OP_SET_LOCK_SCREEN] = { "set_lock_screen", OP_IDEMPOTENT },
	[OP_SET_LEGAL_NOTICE] = { "set_legal_notice", OP_IDEMPOTENT },
	[OP_SET_PREVENT_LOGIN] = { "set_prevent_login", OP_IDEMPOTENT },
	[OP_RUN_COMMAND_PACKAGE] = { "run_command_package", OP_IDEMPOTENT },
	[OP_NOTIFY_USER] = { "notify_user", OP_IDEMPOTENT },
	[OP_UNJOIN_DOMAIN] = { "unjoin_domain", OP_CHECK_THEN_ACT },
	[OP_LEAVE_ENTRA] = { "leave_entra", OP_CHECK_THEN_ACT },
	[OP_REBOOT] = { "reboot", OP_CHECK_THEN_ACT },
	[OP_IMPORT_ODJ] = { "import_odj", OP_CHECK_THEN_ACT },
	[OP_REACL_PATHS] = { "reacl_paths", OP_IDEMPOTENT },
	[OP_REACL_REGISTRY_HIVES] = { "reacl_registry_hives", OP_IDEMPOTENT },
	[OP_REMAP_PROFILE] = { "remap_profile", OP_IDEMPOTENT },
	[OP_RESET_APPS] = { "reset_apps", OP_IDEMPOTENT },
	[OP_RESTORE_LOCK_SCREEN] = { "restore_lock_screen", OP_IDEMPOTENT },
	[OP_RESTORE_LEGAL_NOTICE] = { "restore_legal_notice", OP_IDEMPOTENT },
	[OP_CLEAR_PREVENT_LOGIN] = { "clear_prevent_login", OP_IDEMPOTENT },
	[OP_UNINSTALL_AGENT] = { "uninstall_agent", OP_IDEMPOTENT },
	[OP_DELETE_FALLBACK_ACCOUNT] = { "delete_fallback_account", OP_IDEMPOTENT },
	[OP_OBTAIN_ODJ] = { "obtain_odj", OP_IDEMPOTENT },
};

enum engine_op_class engine_op_class(enum engine_op op)
{
	return op < OP_COUNT ? ops[op].cls : OP_CHECK_THEN_ACT;
}

const char *engine_op_name(enum engine_op op)
{
	return op < OP_COUNT ? ops[op].name : "?";
}

const char *engine_phase_name(enum engine_phase phase)
{
	static const char *const names[] = { "startup", "user_experience", "device_state",
		"permission_updates", "app_reconfiguration", "completion", "cleanup" };

	return (size_t)phase < sizeof(names) / sizeof(names[0]) ? names[phase] : "?";
}

struct plan {
	struct engine_step *v;
	size_t n;
};

/* The plan is at most a fixed number of steps plus one per command package;
 * the array is sized up front, so add() cannot fail. */
static void add_for(struct plan *pl, enum engine_phase ph, enum engine_op op, const char *arg,
		    unsigned delay, const struct ferry_profile *profile)
{
	pl->v[pl->n].phase = ph;
	pl->v[pl->n].op = op;
	pl->v[pl->n].arg = arg;
	pl->v[pl->n].delay_seconds = delay;
	pl->v[pl->n].profile = profile;
	pl->n++;
}

static void add(struct plan *pl, enum engine_phase ph, enum engine_op op, const char *arg,
		unsigned delay)
{
	add_for(pl, ph, op, arg, delay, NULL);
}

static void plan_startup(struct plan *pl, const struct runbook *rb)
{
	if (rb->device_state.join_type == RB_JOIN_ACTIVE_DIRECTORY)
		add(pl, PHASE_STARTUP, OP_OBTAIN_ODJ, NULL, 0);
	if (!rb->startup.run)
		return;
	if (rb->startup.fallback.enabled)
		add(pl, PHASE_STARTUP, OP_CREATE_FALLBACK_ACCOUNT, rb->startup.fallback.username, 0);
	add(pl, PHASE_STARTUP, OP_SET_LOCK_SCREEN, NULL, 0);
	if (rb->startup.set_legal_notice)
		add(pl, PHASE_STARTUP, OP_SET_LEGAL_NOTICE, NULL, 0);
	if (rb->startup.prevent_login)
		add(pl, PHASE_STARTUP, OP_SET_PREVENT_LOGIN, NULL, 0);
	for (size_t i = 0; i < rb->startup.command_packages.n; i++)
		add(pl, PHASE_STARTUP, OP_RUN_COMMAND_PACKAGE, rb->startup.command_packages.v[i], 0);
}

/* The configured paths once (the whole mapping), then each profile's
 * folder, hives and ProfileList entry together, so a crash between two
 * profiles leaves each one either done or to be redone. */
static void plan_permissions(struct plan *pl, const struct runbook *rb,
			     const struct ferry_profile *profiles, size_t n_profiles)
{
	bool folder = rb->permission_updates.profile, hives = rb->permission_updates.registry_hives;

	if (rb->permission_updates.paths.n)
		add(pl, PHASE_PERMISSION_UPDATES, OP_REACL_PATHS, NULL, 0);
	for (size_t i = 0; i < n_profiles; i++) {
		const struct ferry_profile *f = &profiles[i];

		if (folder)
			add_for(pl, PHASE_PERMISSION_UPDATES, OP_REACL_PATHS, NULL, 0, f);
		if (hives)
			add_for(pl, PHASE_PERMISSION_UPDATES, OP_REACL_REGISTRY_HIVES, NULL, 0, f);
		if (folder)
			add_for(pl, PHASE_PERMISSION_UPDATES, OP_REMAP_PROFILE, NULL, 0, f);
	}
}

static void plan_device_and_permissions(struct plan *pl, const struct runbook *rb,
					const struct ferry_profile *profiles, size_t n_profiles)
{
	if (rb->device_state.cache_user_credentials)
		add(pl, PHASE_DEVICE_STATE, OP_CACHE_CREDENTIALS, NULL, 0);
	if (rb->device_state.remove_from == RB_REMOVE_ALL_DIRECTORIES) {
		add(pl, PHASE_DEVICE_STATE, OP_UNJOIN_DOMAIN, NULL, 0);
		add(pl, PHASE_DEVICE_STATE, OP_LEAVE_ENTRA, NULL, 0);
		add(pl, PHASE_DEVICE_STATE, OP_REBOOT, NULL, 0);
	}
	if (rb->device_state.join_type == RB_JOIN_ACTIVE_DIRECTORY) {
		add(pl, PHASE_DEVICE_STATE, OP_IMPORT_ODJ, NULL, 0);
		add(pl, PHASE_DEVICE_STATE, OP_REBOOT, NULL, 0);
	}
	if (rb->permission_updates.mode != RB_PERM_NONE)
		plan_permissions(pl, rb, profiles, n_profiles);
}

static void plan_completion(struct plan *pl, const struct runbook *rb, bool changed)
{
	if (rb->completion.run)
		for (size_t i = 0; i < rb->completion.command_packages.n; i++)
			add(pl, PHASE_COMPLETION, OP_RUN_COMMAND_PACKAGE,
			    rb->completion.command_packages.v[i], 0);
	/* Whatever startup changed is restored, whether or not completion "runs". */
	if (rb->startup.run) {
		add(pl, PHASE_COMPLETION, OP_RESTORE_LOCK_SCREEN, NULL, 0);
		if (rb->startup.set_legal_notice)
			add(pl, PHASE_COMPLETION, OP_RESTORE_LEGAL_NOTICE, NULL, 0);
		if (rb->startup.prevent_login)
			add(pl, PHASE_COMPLETION, OP_CLEAR_PREVENT_LOGIN, NULL, 0);
	}
	/* The reboot after ReACL: new SIDs in the hives and ProfileList, the new
	 * domain's secure channel, and normal logon, all at the next boot. */
	if (changed)
		add(pl, PHASE_COMPLETION, OP_REBOOT, NULL, 0);
	if (rb->startup.run && rb->startup.fallback.enabled)
		add(pl, PHASE_CLEANUP, OP_DELETE_FALLBACK_ACCOUNT, rb->startup.fallback.username,
		    rb->startup.fallback.deletion_delay_hours * 3600u);
	/* Last of all: the agent that removes itself can delete nothing after,
	 * so the fallback account's deferred deletion must come first. */
	if (rb->completion.run && rb->completion.uninstall_agent)
		add(pl, PHASE_CLEANUP, OP_UNINSTALL_AGENT, NULL, 0);
}

ferry_err engine_plan(struct engine_step **out, size_t *n, const struct runbook *rb,
		      const struct ferry_profile *profiles, size_t n_profiles)
{
	struct plan pl = { NULL, 0 };
	size_t max = 25 + rb->startup.command_packages.n + rb->completion.command_packages.n +
		     4 * n_profiles;
	bool changed = runbook_is_migration(rb) || rb->permission_updates.mode != RB_PERM_NONE;

	*out = NULL;
	*n = 0;
	if (n_profiles > ENGINE_MAX_PROFILES)
		return ferry_error_set(FERRY_EINVAL, "engine: %zu profiles to migrate; at most %u",
				       n_profiles, ENGINE_MAX_PROFILES);
	for (size_t i = 0; i < n_profiles; i++)
		if (!profiles[i].source_sid || !profiles[i].target_sid)
			return ferry_error_set(FERRY_EINVAL, "engine: profile %zu lacks a SID", i);
	if (!(pl.v = ferry_calloc(max, sizeof(*pl.v))))
		return ferry_error_set(FERRY_ENOMEM, "engine: out of memory");
	plan_startup(&pl, rb);
	if (rb->startup.mode == RB_MODE_SHOW_PROGRESS && rb->startup.run)
		add(&pl, PHASE_USER_EXPERIENCE, OP_NOTIFY_USER, NULL, 0);
	plan_device_and_permissions(&pl, rb, profiles, n_profiles);
	for (size_t i = 0; rb->app_reset && i < n_profiles; i++)
		add_for(&pl, PHASE_APP_RECONFIGURATION, OP_RESET_APPS, NULL, 0, &profiles[i]);
	plan_completion(&pl, rb, changed);
	*out = pl.v;
	*n = pl.n;
	return FERRY_OK;
}
