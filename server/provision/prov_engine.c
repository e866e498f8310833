/* The provisioning engine: see provision.h for the job's steps and invariants. */
#define _GNU_SOURCE
#include "prov_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "odj/odj.h"
#include "runbook/runbook.h"
#include "util/mem.h"

struct prov_engine {
	char *dns_domain, *realm, *netbios, *dc, *keytab, *account, *work_dir;
	unsigned max_per_dc, timeout_s;
	const char *const *prefix;
	struct prov_storage st;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned active;          /* jobs inside the DC slot */
	char **inflight;          /* keys being provisioned (invariant 4) */
	size_t n_inflight;
	char service_sid[192];    /* the provisioning account's SID, once known */
	struct prov_stats stats;
};

/* One job's private directory and the paths and environment its tools use. */
struct job {
	const struct prov_engine *e;
	char dir[512], krb5[560], smb[560], ccache[560], out[560], blob[560];
	char env_krb5[600], env_ccache[600], opt_ccache[600], opt_conf[600], opt_name[64];
	const char *env[5];
};

static void sweep_work_dir(const char *work_dir);

static char *dup_str(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *d = s ? ferry_malloc(n + 1) : NULL;

	if (d)
		memcpy(d, s, n + 1);
	return d;
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

ferry_err prov_key(char out[PROV_KEY_MAX], const char *dns_domain, const char *machine)
{
	size_t i = 0;
	int n = snprintf(out, PROV_KEY_MAX, "%s/%s", dns_domain, machine);

	if (n < 0 || n >= (int)PROV_KEY_MAX)
		return ferry_error_set(FERRY_ERANGE, "provisioning key too long");
	for (; out[i] != '/'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	upper(out + i);
	return FERRY_OK;
}

static ferry_err check_config(const struct prov_config *c, const struct prov_storage *st)
{
	struct stat sb;

	if (!c || !st || !st->blob_get || !st->blob_put || !st->intent_put || !st->intent_get)
		return ferry_error_set(FERRY_EINVAL, "provisioning: configuration or storage "
				       "callbacks missing");
	if (!c->dns_domain || rb_check_domain(c->dns_domain))
		return ferry_error_set(FERRY_EINVAL, "provisioning: dns_domain: %s",
				       c->dns_domain ? rb_check_domain(c->dns_domain) : "missing");
	if (!c->netbios_domain || !*c->netbios_domain || strlen(c->netbios_domain) > 15 ||
	    strpbrk(c->netbios_domain, " \\/:*?\"<>|.'"))
		return ferry_error_set(FERRY_EINVAL, "provisioning: netbios_domain must be 1-15 "
				       "characters");
	if (!c->dc || rb_check_domain(c->dc))
		return ferry_error_set(FERRY_EINVAL, "provisioning: dc must be the DC's host name");
	if (!c->account || rb_check_account_max(c->account, 20))
		return ferry_error_set(FERRY_EINVAL, "provisioning: account must be a "
				       "sAMAccountName");
	if (!c->keytab || access(c->keytab, R_OK))
		return ferry_error_set(FERRY_EINVAL, "provisioning: keytab %.200s is not readable",
				       c->keytab ? c->keytab : "(none)");
	if (!c->work_dir || stat(c->work_dir, &sb) || !S_ISDIR(sb.st_mode) ||
	    (sb.st_mode & 077) || strlen(c->work_dir) > 400)
		return ferry_error_set(FERRY_EINVAL, "provisioning: work_dir %.200s must be an "
				       "existing directory only its owner can open (0700)",
				       c->work_dir ? c->work_dir : "(none)");
	if (c->max_per_dc < 1 || c->max_per_dc > PROV_MAX_PER_DC)
		return ferry_error_set(FERRY_EINVAL, "provisioning: max_per_dc must be 1..%u",
				       PROV_MAX_PER_DC);
	return FERRY_OK;
}

ferry_err prov_engine_new(struct prov_engine **out, const struct prov_config *cfg,
			  const struct prov_storage *st)
{
	struct prov_engine *e = NULL;
	ferry_err rc = check_config(cfg, st);

	*out = NULL;
	if (rc)
		return rc;
	if (!(e = ferry_calloc(1, sizeof(*e))))
		return ferry_error_set(FERRY_ENOMEM, "provisioning engine");
	e->dns_domain = dup_str(cfg->dns_domain);
	e->realm = dup_str(cfg->dns_domain);
	e->netbios = dup_str(cfg->netbios_domain);
	e->dc = dup_str(cfg->dc);
	e->keytab = dup_str(cfg->keytab);
	e->account = dup_str(cfg->account);
	e->work_dir = dup_str(cfg->work_dir);
	if (!e->dns_domain || !e->realm || !e->netbios || !e->dc || !e->keytab || !e->account ||
	    !e->work_dir) {
		prov_engine_free(e);
		return ferry_error_set(FERRY_ENOMEM, "provisioning engine");
	}
	upper(e->realm);
	upper(e->netbios);
	e->max_per_dc = cfg->max_per_dc;
	e->timeout_s = cfg->timeout_s ? cfg->timeout_s : 120;
	e->prefix = cfg->exec_prefix;
	e->st = *st;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	sweep_work_dir(e->work_dir);
	*out = e;
	return FERRY_OK;
}

void prov_engine_free(struct prov_engine *e)
{
	if (!e)
		return;
	if (e->max_per_dc) {
		pthread_mutex_destroy(&e->mu);
		pthread_cond_destroy(&e->cv);
	}
	ferry_free(e->dns_domain);
	ferry_free(e->realm);
	ferry_free(e->netbios);
	ferry_free(e->dc);
	ferry_free(e->keytab);
	ferry_free(e->account);
	ferry_free(e->work_dir);
	ferry_free(e->inflight);
	ferry_free(e);
}

void prov_engine_stats(struct prov_engine *e, struct prov_stats *out)
{
	pthread_mutex_lock(&e->mu);
	*out = e->stats;
	pthread_mutex_unlock(&e->mu);
}

/* --- the job's directory --- */

static ferry_err write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t n = strlen(text);
	ferry_err rc = FERRY_OK;

	if (fd < 0 || write(fd, text, n) != (ssize_t)n)
		rc = ferry_error_set(FERRY_EIO, "%s: cannot write (errno %d)", path, errno);
	if (fd >= 0)
		close(fd);
	return rc;
}

static ferry_err job_open(struct job *j, const struct prov_engine *e, const char *machine)
{
	char text[4096];
	ferry_err rc;

	memset(j, 0, sizeof(*j));
	j->e = e;
	snprintf(j->dir, sizeof(j->dir), "%s/job-%s-XXXXXX", e->work_dir, machine);
	if (!mkdtemp(j->dir)) /* mode 0700 */
		return ferry_error_set(FERRY_EIO, "provisioning: cannot make a job directory under "
				       "%.200s (errno %d)", e->work_dir, errno);
	snprintf(j->krb5, sizeof(j->krb5), "%s/krb5.conf", j->dir);
	snprintf(j->smb, sizeof(j->smb), "%s/smb.conf", j->dir);
	snprintf(j->ccache, sizeof(j->ccache), "%s/ccache", j->dir);
	snprintf(j->out, sizeof(j->out), "%s/out", j->dir);
	snprintf(j->blob, sizeof(j->blob), "%s/blob.odj", j->dir);
	snprintf(j->env_krb5, sizeof(j->env_krb5), "KRB5_CONFIG=%s", j->krb5);
	snprintf(j->env_ccache, sizeof(j->env_ccache), "KRB5CCNAME=FILE:%s", j->ccache);
	snprintf(j->opt_ccache, sizeof(j->opt_ccache), "--use-krb5-ccache=FILE:%s", j->ccache);
	snprintf(j->opt_conf, sizeof(j->opt_conf), "--configfile=%s", j->smb);
	snprintf(j->opt_name, sizeof(j->opt_name), "--option=netbios name=%s", machine);
	j->env[0] = j->env_krb5;
	j->env[1] = j->env_ccache;
	j->env[2] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	j->env[3] = "LC_ALL=C";
	/* The KDC is the DC, by name; nothing is looked up in DNS. */
	snprintf(text, sizeof(text),
		 "[libdefaults]\n\tdefault_realm = %s\n\tdns_lookup_kdc = false\n"
		 "\tdns_lookup_realm = false\n\trdns = false\n"
		 "[realms]\n\t%s = {\n\t\tkdc = %s\n\t}\n", e->realm, e->realm, e->dc);
	rc = write_file(j->krb5, text);
	/* Samba's client state stays inside the job directory. */
	snprintf(text, sizeof(text),
		 "[global]\n\tworkgroup = %s\n\trealm = %s\n\tsecurity = ads\n"
		 "\tpid directory = %s\n\tlock directory = %s\n\tstate directory = %s\n"
		 "\tcache directory = %s\n\tprivate dir = %s\n\tncalrpc dir = %s\n",
		 e->netbios, e->realm, j->dir, j->dir, j->dir, j->dir, j->dir, j->dir);
	if (!rc)
		rc = write_file(j->smb, text);
	return rc;
}

static void wipe_file(const char *path)
{
	struct stat sb;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	static const uint8_t zeros[4096];

	if (fd < 0)
		return;
	if (!fstat(fd, &sb) && S_ISREG(sb.st_mode))
		for (off_t done = 0; done < sb.st_size; done += (off_t)sizeof(zeros))
			if (write(fd, zeros, sizeof(zeros)) < 0)
				break;
	fsync(fd);
	close(fd);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Secrets first (the blob, the ticket), then the whole tree. */
static void job_close(struct job *j)
{
	if (!j->dir[0])
		return;
	wipe_file(j->blob);
	wipe_file(j->ccache);
	nftw(j->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Job directories a killed process left behind: wiped and removed (invariant 5). */
static void sweep_work_dir(const char *work_dir)
{
	DIR *d = opendir(work_dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct job j = { 0 };

		if (strncmp(de->d_name, "job-", 4) ||
		    snprintf(j.dir, sizeof(j.dir), "%s/%s", work_dir, de->d_name) >= (int)sizeof(j.dir))
			continue;
		snprintf(j.blob, sizeof(j.blob), "%s/blob.odj", j.dir);
		snprintf(j.ccache, sizeof(j.ccache), "%s/ccache", j.dir);
		job_close(&j);
	}
	if (d)
		closedir(d);
}

static ferry_err job_run(struct job *j, const char *const *argv)
{
	struct prov_run r = { .prefix = j->e->prefix, .out_path = j->out,
			      .timeout_s = j->e->timeout_s };

	for (size_t i = 0; argv[i] && i + 1 < PROV_ARGV_MAX; i++)
		r.argv[i] = argv[i];
	memcpy(r.env, j->env, sizeof(j->env));
	return prov_exec(&r);
}

static ferry_err job_kinit(struct job *j)
{
	char principal[320];
	const char *argv[] = { "kinit", "-k", "-t", j->e->keytab, principal, NULL };

	snprintf(principal, sizeof(principal), "%s@%s", j->e->account, j->e->realm);
	return job_run(j, argv);
}

/* ldbsearch over LDAP with the job's ticket; *ldif is its output. */
static ferry_err job_search(struct job *j, const char *filter, const char *attr1,
			    const char *attr2, const char *control, char **ldif)
{
	char url[300], base[600];
	const char *argv[] = { "ldbsearch", "-H", url, "--use-kerberos=required", j->opt_ccache,
			       j->opt_conf, "-b", base, "-s", "sub", filter, attr1, attr2, control,
			       NULL };
	ferry_err rc = prov_domain_dn(base, sizeof(base), j->e->dns_domain);

	*ldif = NULL;
	snprintf(url, sizeof(url), "ldap://%s", j->e->dc);
	if (!rc)
		rc = job_run(j, argv);
	if (!rc)
		rc = prov_read_text(ldif, j->out);
	return rc;
}

/* The account sAMAccountName=NAME$ with its owner (nTSecurityDescriptor, owner only). */
static ferry_err job_lookup(struct job *j, const char *machine, struct prov_account *a)
{
	char filter[64], *ldif = NULL;
	ferry_err rc;

	snprintf(filter, sizeof(filter), "(sAMAccountName=%s$)", machine);
	rc = job_search(j, filter, "dn", "nTSecurityDescriptor", "--controls=sd_flags:1:1", &ldif);
	if (!rc)
		rc = prov_parse_account(a, ldif);
	ferry_free(ldif);
	return rc ? ferry_error_wrap(rc, "collision check for %s$: ", machine) : FERRY_OK;
}

/* The provisioning account's own SID, looked up once per engine. */
static ferry_err job_service_sid(struct job *j, struct prov_engine *e, char *sid, size_t cap)
{
	char filter[64], *ldif = NULL;
	ferry_err rc = FERRY_OK;

	pthread_mutex_lock(&e->mu);
	snprintf(sid, cap, "%s", e->service_sid);
	pthread_mutex_unlock(&e->mu);
	if (*sid)
		return FERRY_OK;
	snprintf(filter, sizeof(filter), "(sAMAccountName=%s)", e->account);
	rc = job_search(j, filter, "objectSid", NULL, NULL, &ldif);
	if (!rc)
		rc = prov_parse_sid(sid, cap, ldif);
	ferry_free(ldif);
	if (rc)
		return ferry_error_wrap(rc, "the provisioning account %s: ", e->account);
	pthread_mutex_lock(&e->mu);
	snprintf(e->service_sid, sizeof(e->service_sid), "%s", sid);
	pthread_mutex_unlock(&e->mu);
	return FERRY_OK;
}

static ferry_err job_net(struct job *j, const char *machine, const char *ou, int reuse)
{
	char dom[300], name[64], ouopt[1100], dcname[300], save[600];
	const char *argv[] = { "net", "offlinejoin", "provision", j->opt_conf, j->opt_name, "-S",
			       j->e->dc, "--use-kerberos=required", j->opt_ccache, dom, name,
			       ouopt, dcname, save, reuse ? "reuse" : NULL, NULL };

	snprintf(dom, sizeof(dom), "domain=%s", j->e->dns_domain);
	snprintf(name, sizeof(name), "machine_name=%s", machine);
	snprintf(ouopt, sizeof(ouopt), "machine_account_ou=%s", ou);
	snprintf(dcname, sizeof(dcname), "dcname=%s", j->e->dc);
	snprintf(save, sizeof(save), "savefile=%s", j->blob);
	return job_run(j, argv);
}

/* The saved blob, checked by core/odj for this machine and domain. */
static ferry_err job_read_blob(struct job *j, const char *machine, struct ferry_secret **blob)
{
	struct ferry_secret *bin = NULL;
	struct odj_provision *p = NULL;
	struct stat sb;
	ferry_err rc = FERRY_OK;
	int fd = open(j->blob, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	*blob = NULL;
	if (fd < 0 || fstat(fd, &sb) || sb.st_size <= 0 || sb.st_size > (off_t)PROV_BLOB_MAX)
		rc = ferry_error_set(FERRY_ECORRUPT, "net offlinejoin provision saved no usable "
				     "blob for %s", machine);
	if (!rc)
		rc = ferry_secret_new(blob, (size_t)sb.st_size);
	if (!rc && read(fd, (*blob)->data, (*blob)->len) != (ssize_t)(*blob)->len)
		rc = ferry_error_set(FERRY_EIO, "%s: short read of the saved blob", machine);
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = odj_text_decode(&bin, (*blob)->data, (*blob)->len);
	if (!rc)
		rc = odj_decode(&p, bin->data, bin->len);
	if (!rc)
		rc = odj_validate(p, j->e->dns_domain, machine);
	odj_provision_free(p);
	ferry_secret_free(bin);
	if (rc) {
		ferry_secret_free(*blob);
		*blob = NULL;
		return ferry_error_wrap(FERRY_ECORRUPT, "the DC's blob for %s: ", machine);
	}
	return FERRY_OK;
}

/* --- the job --- */

/* Claim key (invariant 4): wait while another thread provisions it. */
static ferry_err claim_key(struct prov_engine *e, const char *key)
{
	char **v, *k = dup_str(key);

	if (!k)
		return ferry_error_set(FERRY_ENOMEM, "provisioning");
	pthread_mutex_lock(&e->mu);
	for (size_t i = 0; i < e->n_inflight;) {
		if (!strcmp(e->inflight[i], key)) {
			pthread_cond_wait(&e->cv, &e->mu);
			i = 0;
		} else {
			i++;
		}
	}
	v = ferry_realloc_array(e->inflight, e->n_inflight + 1, sizeof(*v));
	if (v) {
		e->inflight = v;
		v[e->n_inflight++] = k;
	}
	pthread_mutex_unlock(&e->mu);
	if (!v) {
		ferry_free(k);
		return ferry_error_set(FERRY_ENOMEM, "provisioning");
	}
	return FERRY_OK;
}

static void release_key(struct prov_engine *e, const char *key)
{
	pthread_mutex_lock(&e->mu);
	for (size_t i = 0; i < e->n_inflight; i++) {
		if (!strcmp(e->inflight[i], key)) {
			ferry_free(e->inflight[i]);
			e->inflight[i] = e->inflight[--e->n_inflight];
			break;
		}
	}
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

static void enter_slot(struct prov_engine *e)
{
	pthread_mutex_lock(&e->mu);
	while (e->active >= e->max_per_dc)
		pthread_cond_wait(&e->cv, &e->mu);
	e->active++;
	if (e->active > e->stats.max_concurrent)
		e->stats.max_concurrent = e->active;
	pthread_mutex_unlock(&e->mu);
}

static void leave_slot(struct prov_engine *e)
{
	pthread_mutex_lock(&e->mu);
	e->active--;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

static void count(struct prov_engine *e, unsigned long *counter)
{
	pthread_mutex_lock(&e->mu);
	(*counter)++;
	pthread_mutex_unlock(&e->mu);
}

/* Step 5: may this existing account be reused? FERRY_EMISMATCH with the reason if not. */
static ferry_err decide(const struct prov_account *a, const char *service_sid, int our_intent,
			enum prov_policy policy, const char *machine)
{
	int owned = !strcmp(a->owner, service_sid);

	if (owned && (our_intent || policy == PROV_POLICY_REUSE_OWNED))
		return FERRY_OK;
	if (!owned)
		return ferry_error_set(FERRY_EMISMATCH, "name collision: %s$ already exists as "
				       "%.300s, owned by %s, not by the provisioning account; it is "
				       "never reused", machine, a->dn, a->owner);
	return ferry_error_set(FERRY_EMISMATCH, "name collision: %s$ already exists as %.300s "
			       "(owned by the provisioning account) and the wave's policy is "
			       "to fail", machine, a->dn);
}

/* Steps 3-9, inside the DC slot. */
static ferry_err provision_at_dc(struct ferry_secret **blob, struct prov_engine *e,
				 const char *key, const char *machine, const char *ou,
				 enum prov_policy policy)
{
	struct prov_account acct = { 0 };
	struct job j;
	char sid[192];
	int intent = 0;
	ferry_err rc = job_open(&j, e, machine);

	if (!rc)
		rc = job_kinit(&j);
	if (!rc)
		rc = job_service_sid(&j, e, sid, sizeof(sid));
	if (!rc)
		rc = job_lookup(&j, machine, &acct);
	if (!rc) {
		rc = e->st.intent_get(e->st.ctx, key);
		intent = rc == FERRY_OK;
		rc = rc == FERRY_ENOTFOUND ? FERRY_OK : rc;
	}
	if (!rc && acct.exists)
		rc = decide(&acct, sid, intent, policy, machine);
	if (!rc)
		rc = e->st.intent_put(e->st.ctx, key);
	if (!rc)
		rc = job_net(&j, machine, ou, acct.exists);
	if (!rc)
		rc = job_read_blob(&j, machine, blob);
	if (!rc)
		count(e, acct.exists ? &e->stats.reused : &e->stats.created);
	else
		count(e, rc == FERRY_EMISMATCH ? &e->stats.refused : &e->stats.failed);
	job_close(&j);
	return rc;
}

ferry_err prov_provision(struct ferry_secret **blob, struct prov_engine *e, const char *machine,
			 const char *ou, enum prov_policy policy)
{
	struct ferry_secret *made = NULL;
	char key[PROV_KEY_MAX];
	ferry_err rc;

	*blob = NULL;
	if (!e || !machine || rb_check_computer_name(machine))
		return ferry_error_set(FERRY_EINVAL, "provisioning: %s",
				       machine ? rb_check_computer_name(machine) : "no machine name");
	if (!ou || strlen(ou) > 1000 || rb_check_ou(ou, e->dns_domain) || strpbrk(ou, "\"'\n"))
		return ferry_error_set(FERRY_EINVAL, "provisioning: OU %.200s: %s", ou ? ou : "",
				       ou && rb_check_ou(ou, e->dns_domain) ? rb_check_ou(ou, e->dns_domain)
									   : "must be a DN in the domain");
	rc = prov_key(key, e->dns_domain, machine);
	if (!rc)
		rc = claim_key(e, key);
	if (rc)
		return rc;
	count(e, &e->stats.jobs);
	rc = e->st.blob_get(e->st.ctx, key, blob);
	if (rc == FERRY_OK) {
		count(e, &e->stats.from_store);
		goto out;
	}
	if (rc != FERRY_ENOTFOUND)
		goto out;
	enter_slot(e);
	rc = provision_at_dc(&made, e, key, machine, ou, policy);
	leave_slot(e);
	if (!rc)
		rc = e->st.blob_put(e->st.ctx, key, made->data, made->len);
	if (!rc) /* the first stored blob is the one (invariant 1) */
		rc = e->st.blob_get(e->st.ctx, key, blob);
out:
	ferry_secret_free(made);
	release_key(e, key);
	return rc;
}

ferry_err prov_engine_account_sid(struct prov_engine *e, char *sid, size_t cap)
{
	struct job j;
	ferry_err rc;

	if (!e || !sid || cap < 2)
		return ferry_error_set(FERRY_EINVAL, "prov_engine_account_sid: missing argument");
	rc = job_open(&j, e, "SID");
	if (!rc)
		rc = job_kinit(&j);
	if (!rc)
		rc = job_service_sid(&j, e, sid, cap);
	job_close(&j);
	return rc;
}
