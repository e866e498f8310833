/*
 * ferry-server: the migration server admins run (docs/server.md).
 *
 *   ferry-server init DIR [--name HOST] [--listen ADDR:PORT]
 *                         [--tls-cert PEM --tls-key PEM] [--signing-public-key KEY]
 *                         [--hold-without-key] [--db postgresql://...]
 *   ferry-server run DIR [--listen ADDR:PORT]
 *   ferry-server migrate DIR
 *   ferry-server token add DIR --name NAME --role admin|operator|helpdesk|auditor
 *   ferry-server --version
 *
 * Exit codes: 0 done, 1 failed (one line on stderr names what and where),
 * 64 usage.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include "ferry_version.h"
#include "srv.h"
#include "srv_init.h"
#include "srv_ticket.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: ferry-server init DIR [--name HOST] [--listen ADDR:PORT]\n"
		"                             [--tls-cert PEM --tls-key PEM] [--signing-public-key KEY]\n"
		"                             [--hold-without-key] [--db postgresql://...]\n"
		"       ferry-server run DIR [--listen ADDR:PORT]\n"
		"       ferry-server migrate DIR\n"
		"       ferry-server token add DIR --name NAME --role admin|operator|helpdesk|auditor\n"
		"       ferry-server --version\n");
	return 64;
}

static const char *opt(int argc, char **argv, int from, const char *name, bool *bad)
{
	for (int i = from; i < argc; i++) {
		if (strcmp(argv[i], name))
			continue;
		if (i + 1 >= argc) {
			*bad = true;
			return NULL;
		}
		return argv[i + 1];
	}
	return NULL;
}

static bool flag(int argc, char **argv, int from, const char *name)
{
	for (int i = from; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

/* Every argument from `from` on is one of the known options (with its value). */
static bool known(int argc, char **argv, int from, const char *const *opts, const char *const *flags)
{
	for (int i = from; i < argc; i++) {
		bool ok = false;

		for (const char *const *o = opts; *o && !ok; o++)
			if (!strcmp(argv[i], *o) && i + 1 < argc) {
				ok = true;
				i++;
			}
		for (const char *const *f = flags; *f && !ok; f++)
			ok = !strcmp(argv[i], *f);
		if (!ok) {
			fprintf(stderr, "ferry-server: unknown or incomplete option '%s'\n", argv[i]);
			return false;
		}
	}
	return true;
}

static int fail(const char *what, ferry_err rc)
{
	fprintf(stderr, "ferry-server: %s: %s (%s)\n", what, ferry_error_detail(),
		ferry_strerror(rc));
	return 1;
}

static int cmd_init(int argc, char **argv)
{
	static const char *const opts[] = { "--name", "--listen", "--tls-cert", "--tls-key",
					    "--signing-public-key", "--db", NULL };
	static const char *const flags[] = { "--hold-without-key", NULL };
	struct srv_init_opts o = { 0 };
	struct srv_init_out res;
	const char *port;
	bool bad = false;
	ferry_err rc;

	if (argc < 3 || !known(argc, argv, 3, opts, flags))
		return usage();
	o.dir = argv[2];
	o.name = opt(argc, argv, 3, "--name", &bad);
	o.listen = opt(argc, argv, 3, "--listen", &bad);
	o.tls_cert = opt(argc, argv, 3, "--tls-cert", &bad);
	o.tls_key = opt(argc, argv, 3, "--tls-key", &bad);
	o.signing_public_key = opt(argc, argv, 3, "--signing-public-key", &bad);
	o.hold_without_key = flag(argc, argv, 3, "--hold-without-key");
	o.db_url = opt(argc, argv, 3, "--db", &bad);
	if (bad)
		return usage();
	if (!o.name)
		o.name = "localhost";
	if (!o.listen)
		o.listen = "0.0.0.0:8443";
	rc = srv_init(&res, &o);
	if (rc)
		return fail("init", rc);
	port = strrchr(o.listen, ':');
	printf("SERVER_URL=https://%s%s\n", o.name, port && strcmp(port, ":443") ? port : "");
	printf("SERVER_PIN_SHA256=%s\n", res.pin);
	printf("SIGNING_PUBLIC_KEY=%s\n", res.signing_public_key);
	printf("ENROLL_KEY=%s\n", res.enroll_key);
	fprintf(stderr, "ferry-server: initialised %s; the first admin token is in %s/admin.token\n",
		o.dir, o.dir);
	if (res.generated_signing_key)
		fprintf(stderr, "ferry-server: NOTE: the signing key was generated in %s/offline/"
			"signing.key; move it to the admin's offline machine and delete it here\n",
			o.dir);
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	static const char *const opts[] = { "--listen", NULL };
	static const char *const flags[] = { NULL };
	struct srv s;
	bool bad = false;
	const char *listen;
	ferry_err rc;

	if (argc < 3 || !known(argc, argv, 3, opts, flags))
		return usage();
	listen = opt(argc, argv, 3, "--listen", &bad);
	if (bad)
		return usage();
	rc = srv_open(&s, argv[2]);
	if (rc)
		return fail(argv[2], rc);
	rc = srv_provision_attach(&s);
	if (!rc)
		rc = srv_jobs_start(&s);
	if (!rc)
		rc = srv_serve(&s, listen);
	srv_jobs_stop(&s);
	srv_provision_detach(&s);
	srv_close(&s);
	return rc ? fail("run", rc) : 0;
}

/* Upgrade DIR's database to this server's schema (srv_schema.h). */
static int cmd_migrate(int argc, char **argv)
{
	struct srv_config cfg;
	struct srv_store *st = NULL;
	ferry_err rc;

	if (argc != 3)
		return usage();
	rc = srv_config_load(&cfg, argv[2]);
	if (!rc)
		rc = srv_store_open(&st, &cfg, SRV_STORE_MIGRATE);
	if (rc)
		return fail("migrate", rc);
	st->ops->close(st);
	printf("ferry-server: %s's %s database is at schema version %d\n", argv[2], cfg.backend,
	       SRV_SCHEMA_VERSION);
	/* Directories made before session tickets get their secret here. */
	if (strcmp(cfg.tls_ticket_key, "off")) {
		char path[SRV_PATH_MAX];
		int created = 0;

		rc = srv_path(path, sizeof(path), argv[2], cfg.tls_ticket_key);
		if (!rc)
			rc = srv_ticket_secret_ensure(path, &created);
		if (rc)
			return fail("migrate", rc);
		if (created)
			printf("ferry-server: wrote %s (TLS session tickets; copy it to every node)\n",
			       path);
	}
	return 0;
}

static int cmd_token(int argc, char **argv)
{
	static const char *const opts[] = { "--name", "--role", NULL };
	static const char *const flags[] = { NULL };
	struct srv s;
	struct srv_principal who = { "ferry-server token add", "admin" };
	struct ferry_secret *tok = NULL;
	char hash[SRV_HASH_HEX];
	const char *name, *role;
	bool bad = false;
	ferry_err rc;

	if (argc < 4 || strcmp(argv[2], "add") || !known(argc, argv, 4, opts, flags))
		return usage();
	name = opt(argc, argv, 4, "--name", &bad);
	role = opt(argc, argv, 4, "--role", &bad);
	if (bad || !name || !role)
		return usage();
	if (!srv_name_ok(name) || (strcmp(role, "admin") && strcmp(role, "operator") &&
				   strcmp(role, "helpdesk") && strcmp(role, "auditor"))) {
		fprintf(stderr, "ferry-server: token add: --name is 1-64 of A-Z a-z 0-9 . _ -; --role is "
			"admin, operator, helpdesk or auditor\n");
		return 64;
	}
	rc = srv_open(&s, argv[3]);
	if (rc)
		return fail(argv[3], rc);
	rc = srv_token_new(&tok, hash);
	if (!rc)
		rc = s.store->ops->begin(s.store);
	if (!rc)
		rc = s.store->ops->token_add(s.store, name, role, hash, (int64_t)time(NULL));
	if (!rc)
		rc = s.store->ops->audit_add(s.store, &who, "token.create", name, role,
					     (int64_t)time(NULL));
	if (!rc)
		rc = s.store->ops->commit(s.store);
	if (rc)
		s.store->ops->rollback(s.store);
	else
		printf("%s\n", (const char *)tok->data);
	ferry_secret_free(tok);
	srv_close(&s);
	return rc ? fail("token add", rc) : 0;
}

int main(int argc, char **argv)
{
	/* Everything the server writes (database, keys, tokens) is its own. */
	umask(077);
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("ferry-server %s\n", FERRY_VERSION);
		return 0;
	}
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "init"))
		return cmd_init(argc, argv);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	if (!strcmp(argv[1], "migrate"))
		return cmd_migrate(argc, argv);
	if (!strcmp(argv[1], "token"))
		return cmd_token(argc, argv);
	return usage();
}
