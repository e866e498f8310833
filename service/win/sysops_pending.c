/*
 * Placeholders until the service issue, #6 lands: each op fails with FERRY_ENOTIMPL and
 * says so. The implementing files replace these one by one.
 */
#include "win/sysops.h"

const char *svc_logon_outcome_code(enum svc_logon_outcome o)
{
	(void)o;
	return "not implemented";
}

const char *svc_logon_outcome_text(enum svc_logon_outcome o)
{
	(void)o;
	return "not implemented";
}

ferry_err svc_logon_check(enum svc_logon_outcome *out, const char *user, const char *domain,
			  struct ferry_secret *password)
{
	(void)out;
	(void)user;
	(void)domain;
	ferry_secret_free(password);
	return ferry_error_set(FERRY_ENOTIMPL, "svc_logon_check: not implemented yet (the service issue, #6)");
}

ferry_err svc_join_query(struct ferry_join_state *out)
{
	(void)out;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_join_query: not implemented yet (the service issue, #6)");
}

ferry_err svc_join_unjoin(void)
{
	return ferry_error_set(FERRY_ENOTIMPL, "svc_join_unjoin: not implemented yet (the service issue, #6)");
}

void svc_cmd_output_clear(struct svc_cmd_output *o)
{
	(void)o;
}

ferry_err svc_entra_leave(struct svc_cmd_output *out)
{
	(void)out;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_entra_leave: not implemented yet (the service issue, #6)");
}

ferry_err svc_odj_store(const wchar_t *path, const struct ferry_secret *blob)
{
	(void)path;
	(void)blob;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_odj_store: not implemented yet (the service issue, #6)");
}

ferry_err svc_odj_import(const wchar_t *path, const char *domain)
{
	(void)path;
	(void)domain;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_odj_import: not implemented yet (the service issue, #6)");
}

ferry_err svc_reboot_schedule(const char *message, unsigned grace_seconds)
{
	(void)message;
	(void)grace_seconds;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_reboot_schedule: not implemented yet (the service issue, #6)");
}

ferry_err svc_boot_id(uint64_t *out)
{
	(void)out;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_boot_id: not implemented yet (the service issue, #6)");
}

ferry_err svc_fallback_create(const char *username, struct ferry_secret **password)
{
	(void)username;
	(void)password;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_fallback_create: not implemented yet (the service issue, #6)");
}

ferry_err svc_fallback_delete(const char *username)
{
	(void)username;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_fallback_delete: not implemented yet (the service issue, #6)");
}

ferry_err svc_fallback_exists(const char *username, bool *exists)
{
	(void)username;
	(void)exists;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_fallback_exists: not implemented yet (the service issue, #6)");
}

ferry_err svc_lease_write(int64_t until_unix, int64_t now_unix, uint64_t cap_seconds)
{
	(void)until_unix;
	(void)now_unix;
	(void)cap_seconds;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_lease_write: not implemented yet (the service issue, #6)");
}

ferry_err svc_lease_clear(void)
{
	return ferry_error_set(FERRY_ENOTIMPL, "svc_lease_clear: not implemented yet (the service issue, #6)");
}

ferry_err svc_package_run(const wchar_t *packages_dir, const char *id, const uint8_t pub[32],
			  struct svc_cmd_output *out)
{
	(void)packages_dir;
	(void)id;
	(void)pub;
	(void)out;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_package_run: not implemented yet (the service issue, #6)");
}

ferry_err svc_package_done(const wchar_t *packages_dir, const char *id, bool *done)
{
	(void)packages_dir;
	(void)id;
	(void)done;
	return ferry_error_set(FERRY_ENOTIMPL, "svc_package_done: not implemented yet (the service issue, #6)");
}
