/*
 * Placeholders until the service issue, #6 lands: each op fails with FERRY_ENOTIMPL and
 * says so. The implementing files replace these one by one.
 */
#include "win/profops.h"

ferry_err svc_reacl_paths(const struct svc_profile_ctx *pc, enum rb_perm_mode mode,
			  const char *const *paths, size_t n, bool profile_folders,
			  struct svc_reacl_counts *counts)
{
	(void)pc;
	(void)mode;
	(void)paths;
	(void)n;
	(void)profile_folders;
	(void)counts;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_reacl_paths: not implemented yet (the service issue, #6)");
}

ferry_err svc_reacl_hives(const struct svc_profile_ctx *pc, enum rb_perm_mode mode,
			  struct svc_reacl_counts *counts)
{
	(void)pc;
	(void)mode;
	(void)counts;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_reacl_hives: not implemented yet (the service issue, #6)");
}

ferry_err svc_profile_remap(const struct svc_profile_ctx *pc)
{
	(void)pc;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_profile_remap: not implemented yet (the service issue, #6)");
}

ferry_err svc_apps_reset(const struct svc_profile_ctx *pc, unsigned apps)
{
	(void)pc;
	(void)apps;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_apps_reset: not implemented yet (the service issue, #6)");
}

ferry_err svc_profile_rollback(const char *source_sid)
{
	(void)source_sid;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_profile_rollback: not implemented yet (the service issue, #6)");
}
