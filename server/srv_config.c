/*
 * ferry-server.conf: a table of known keys, each with its section, kind and
 * field, so the parser, the defaults and the error messages share one list.
 */
#include "srv_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define CONF_FILE_MAX (64u * 1024u)

enum kind { K_STR, K_UINT, K_SIZE, K_BOOL, K_PUBKEY, K_WITHOUT_KEY, K_BACKEND };

struct key {
	const char *section, *name;
	enum kind kind;
	size_t off, cap;    /* field offset; string capacity */
	unsigned long min, max;
};

#define STR(sec, n, f) { sec, n, K_STR, offsetof(struct srv_config, f), \
			 sizeof(((struct srv_config *)0)->f), 0, 0 }
#define UINT(sec, n, f, lo, hi) { sec, n, K_UINT, offsetof(struct srv_config, f), 0, lo, hi }

static const struct key keys[] = {
	STR("server", "name", name),
	STR("server", "listen", listen),
	UINT("server", "threads", threads, 0, 256),
	{ "server", "poll_interval_s", K_UINT, offsetof(struct srv_config, poll_interval_s), 0, 60,
	  86400 },
	{ "server", "body_max", K_SIZE, offsetof(struct srv_config, body_max), 0, 1024,
	  8u * 1024u * 1024u },
	{ "server", "admin_body_max", K_SIZE, offsetof(struct srv_config, admin_body_max), 0, 1024,
	  64u * 1024u * 1024u },
	UINT("server", "connection_timeout_s", connection_timeout_s, 1, 3600),
	UINT("server", "connection_limit", connection_limit, 1, 1000000),
	{ "server", "log_polls", K_BOOL, offsetof(struct srv_config, log_polls), 0, 0, 0 },
	STR("tls", "cert", tls_cert),
	STR("tls", "key", tls_key),
	STR("tls", "ticket_key", tls_ticket_key),
	{ "keys", "signing_public_key", K_PUBKEY, offsetof(struct srv_config, signing_pub), 0, 0, 0 },
	STR("keys", "assignment_key", assignment_key),
	STR("keys", "escrow_key", escrow_key),
	STR("keys", "enroll_key", enroll_key),
	{ "database", "backend", K_BACKEND, offsetof(struct srv_config, backend),
	  sizeof(((struct srv_config *)0)->backend), 0, 0 },
	STR("database", "path", db_path),
	STR("database", "url", db_url),
	STR("database", "password_file", db_password_file),
	UINT("retention", "events_days", events_days, 0, 36500),
	UINT("retention", "status_days", status_days, 0, 36500),
	UINT("retention", "prune_batch", prune_batch, 100, 1000000),
	{ "enrolment", "without_key", K_WITHOUT_KEY, offsetof(struct srv_config, without_key), 0, 0,
	  0 },
	UINT("enrolment", "pending_max", pending_max, 1, 1000000),
	UINT("status", "stuck_after_h", stuck_after_h, 1, 24 * 365),
	UINT("status", "lost_after_d", lost_after_d, 1, 365),
	{ "provision", "enabled", K_BOOL, offsetof(struct srv_config, prov_enabled), 0, 0, 0 },
	STR("provision", "domain", prov_domain),
	STR("provision", "netbios_domain", prov_netbios),
	STR("provision", "dc", prov_dc),
	STR("provision", "keytab", prov_keytab),
	STR("provision", "account", prov_account),
	STR("provision", "work_dir", prov_work_dir),
	STR("provision", "exec_prefix", prov_exec_prefix),
	STR("provision", "policy", prov_policy),
	UINT("provision", "max_per_dc", prov_max_per_dc, 1, 64),
	UINT("provision", "workers", prov_workers, 1, 64),
	UINT("provision", "lead_h", prov_lead_h, 0, 24 * 90),
	{ "metrics", "public", K_BOOL, offsetof(struct srv_config, metrics_public), 0, 0, 0 },
};

void srv_config_defaults(struct srv_config *c, const char *dir)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "%s", dir ? dir : ".");
	snprintf(c->name, sizeof(c->name), "localhost");
	snprintf(c->listen, sizeof(c->listen), "0.0.0.0:8443");
	c->poll_interval_s = 900;
	c->body_max = 256u * 1024u;
	c->admin_body_max = 16u * 1024u * 1024u;
	c->connection_timeout_s = 30;
	c->connection_limit = 10000;
	snprintf(c->tls_cert, sizeof(c->tls_cert), "tls/cert.pem");
	snprintf(c->tls_key, sizeof(c->tls_key), "tls/key.pem");
	snprintf(c->tls_ticket_key, sizeof(c->tls_ticket_key), "keys/ticket.key");
	snprintf(c->assignment_key, sizeof(c->assignment_key), "keys/assignment.key");
	snprintf(c->escrow_key, sizeof(c->escrow_key), "keys/escrow.key");
	snprintf(c->enroll_key, sizeof(c->enroll_key), "keys/enroll.key");
	snprintf(c->backend, sizeof(c->backend), "sqlite");
	snprintf(c->db_path, sizeof(c->db_path), "ferry.db");
	c->without_key = SRV_ENROL_REFUSE;
	c->pending_max = 10000;
	c->stuck_after_h = 24;
	snprintf(c->prov_work_dir, sizeof(c->prov_work_dir), "provision");
	snprintf(c->prov_policy, sizeof(c->prov_policy), "fail");
	c->prov_max_per_dc = 4;
	c->prov_workers = 4;
	c->prov_lead_h = 48;
	c->lost_after_d = 3;
	c->events_days = 180;
	c->status_days = 90;
	c->prune_batch = 10000;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static ferry_err set_value(struct srv_config *c, const struct key *k, const char *v,
			   const char *file, unsigned line)
{
	char *field = (char *)c + k->off, *end;
	unsigned long long n;

	switch (k->kind) {
	case K_STR:
	case K_BACKEND:
		if (strlen(v) >= k->cap || !*v)
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: %s.%s: empty or longer than %zu bytes",
					       file, line, k->section, k->name, k->cap - 1);
		if (k->kind == K_BACKEND && strcmp(v, "sqlite") && strcmp(v, "postgresql"))
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: database.backend: '%.40s' is not "
					       "sqlite or postgresql", file, line, v);
		memcpy(field, v, strlen(v) + 1);
		return FERRY_OK;
	case K_UINT:
	case K_SIZE:
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno || end == v || *end || *v == '-' || n < k->min || n > k->max)
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: %s.%s: '%.40s' is not a whole "
					       "number in [%lu, %lu]", file, line, k->section, k->name,
					       v, k->min, k->max);
		if (k->kind == K_SIZE)
			*(size_t *)(void *)field = (size_t)n;
		else if (!strcmp(k->name, "poll_interval_s"))
			*(uint32_t *)(void *)field = (uint32_t)n;
		else
			*(unsigned *)(void *)field = (unsigned)n;
		return FERRY_OK;
	case K_BOOL:
		if (strcmp(v, "true") && strcmp(v, "false"))
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: %s.%s: '%.40s' is not true or false",
					       file, line, k->section, k->name, v);
		*(bool *)(void *)field = !strcmp(v, "true");
		return FERRY_OK;
	case K_PUBKEY:
		if (sig_public_key_parse((uint8_t *)field, v, "keys.signing_public_key"))
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: keys.signing_public_key: not an "
					       "Ed25519 public key (base64 of 32 bytes or 64 hex digits)",
					       file, line);
		return FERRY_OK;
	case K_WITHOUT_KEY:
		if (!strcmp(v, "refuse"))
			c->without_key = SRV_ENROL_REFUSE;
		else if (!strcmp(v, "hold"))
			c->without_key = SRV_ENROL_HOLD;
		else
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: enrolment.without_key: '%.40s' is "
					       "not refuse or hold", file, line, v);
		return FERRY_OK;
	}
	return ferry_error_set(FERRY_EINVAL, "config key kind");
}

ferry_err srv_config_parse(struct srv_config *c, const char *text, size_t len, const char *file)
{
	char section[32] = "", buf[SRV_CONF_LINE_MAX + 1];
	unsigned line = 0;
	bool have_pub = false;
	size_t i = 0;

	if (len > CONF_FILE_MAX)
		return ferry_error_set(FERRY_ERANGE, "%s: larger than %u bytes", file, CONF_FILE_MAX);
	while (i < len) {
		size_t j = i, n;
		char *s, *eq;
		const struct key *k = NULL;

		while (j < len && text[j] != '\n')
			j++;
		n = j - i;
		line++;
		if (n > SRV_CONF_LINE_MAX)
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: line longer than %u bytes", file,
					       line, SRV_CONF_LINE_MAX);
		memcpy(buf, text + i, n);
		buf[n] = '\0';
		i = j + 1;
		if (memchr(buf, '\0', n))
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: NUL byte", file, line);
		s = trim(buf);
		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');

			if (!e || e[1] || e - s - 1 <= 0 || (size_t)(e - s - 1) >= sizeof(section))
				return ferry_error_set(FERRY_ECORRUPT, "%s:%u: malformed section header",
						       file, line);
			*e = '\0';
			memcpy(section, s + 1, strlen(s + 1) + 1);
			for (size_t m = 0; m < sizeof(keys) / sizeof(keys[0]); m++)
				if (!strcmp(keys[m].section, section))
					k = &keys[m];
			if (!k)
				return ferry_error_set(FERRY_ECORRUPT, "%s:%u: unknown section [%.32s]", file,
						       line, section);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq)
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: expected key = value", file, line);
		*eq = '\0';
		s = trim(s);
		if (!section[0])
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: '%.40s' before any [section]", file,
					       line, s);
		for (size_t m = 0; m < sizeof(keys) / sizeof(keys[0]); m++)
			if (!strcmp(keys[m].section, section) && !strcmp(keys[m].name, s))
				k = &keys[m];
		if (!k)
			return ferry_error_set(FERRY_ECORRUPT, "%s:%u: unknown key '%.40s' in [%s]", file,
					       line, s, section);
		if (set_value(c, k, trim(eq + 1), file, line))
			return FERRY_ECORRUPT;
		if (k->kind == K_PUBKEY)
			have_pub = true;
	}
	if (!have_pub)
		return ferry_error_set(FERRY_ECORRUPT, "%s: keys.signing_public_key is missing (the "
				       "admin's offline Ed25519 public key)", file);
	return FERRY_OK;
}

ferry_err srv_path(char *out, size_t cap, const char *dir, const char *rel)
{
	int n = rel[0] == '/' ? snprintf(out, cap, "%s", rel) : snprintf(out, cap, "%s/%s", dir, rel);

	if (n < 0 || (size_t)n >= cap)
		return ferry_error_set(FERRY_ERANGE, "path longer than %zu bytes: %.60s", cap, rel);
	return FERRY_OK;
}

ferry_err srv_config_load(struct srv_config *c, const char *dir)
{
	char path[SRV_PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *f = NULL;
	ferry_err rc;

	srv_config_defaults(c, dir);
	rc = srv_path(path, sizeof(path), dir, SRV_CONF_FILE);
	if (rc)
		return rc;
	f = fopen(path, "rb");
	if (!f)
		return ferry_error_set(FERRY_EIO, "%s: %s (run `ferry-server init %s` first)", path,
				       strerror(errno), dir);
	text = ferry_malloc(CONF_FILE_MAX + 1);
	if (!text) {
		rc = ferry_error_set(FERRY_ENOMEM, "%s", path);
		goto out;
	}
	len = fread(text, 1, CONF_FILE_MAX + 1, f);
	if (ferror(f)) {
		rc = ferry_error_set(FERRY_EIO, "%s: read failed", path);
		goto out;
	}
	rc = srv_config_parse(c, text, len, path);
out:
	ferry_free(text);
	fclose(f);
	return rc;
}
