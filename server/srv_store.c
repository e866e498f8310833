/*
 * Opening the configured database (srv_store.h): [database] backend =
 * sqlite (path, relative to DIR) or postgresql (url, a libpq connection
 * string or URI). The url never holds a password: ferry-server.conf is
 * readable (0644) and its text reaches messages; a password, when the
 * database wants one, lives in password_file (0600, checked), or in libpq's
 * own ~/.pgpass, or is not needed at all (peer authentication on the Unix
 * socket, client certificates).
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "srv.h"

/* FERRY_EINVAL when the connection string is malformed or names a password. */
static ferry_err url_check(const char *url)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	bool password = false;

	if (!opts)
		return ferry_error_set(FERRY_EINVAL, "%s: database.url is not a PostgreSQL "
				       "connection string", SRV_CONF_FILE);
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			password = true;
	PQconninfoFree(opts);
	if (password)
		return ferry_error_set(FERRY_EINVAL, "%s: database.url holds a password; put it "
				       "in database.password_file (mode 0600) or ~/.pgpass, or use "
				       "peer authentication", SRV_CONF_FILE);
	return FERRY_OK;
}

ferry_err srv_store_open(struct srv_store **out, const struct srv_config *c,
			 enum srv_store_mode mode)
{
	struct ferry_secret *pw = NULL;
	char path[SRV_PATH_MAX];
	ferry_err rc;

	*out = NULL;
	if (!strcmp(c->backend, "sqlite")) {
		rc = srv_path(path, sizeof(path), c->dir, c->db_path);
		return rc ? rc : srv_store_sqlite_open(out, path, mode);
	}
	if (!c->db_url[0])
		return ferry_error_set(FERRY_EINVAL, "%s: database.backend = postgresql needs "
				       "database.url", SRV_CONF_FILE);
	rc = url_check(c->db_url);
	if (!rc && c->db_password_file[0]) {
		rc = srv_path(path, sizeof(path), c->dir, c->db_password_file);
		if (!rc)
			rc = srv_read_secret(&pw, path, 1024, true);
	}
	if (!rc)
		rc = srv_store_pg_open(out, c->db_url, pw ? (const char *)pw->data : NULL, mode);
	ferry_secret_free(pw);
	return rc;
}
