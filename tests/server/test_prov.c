/*
 * server/provision without a DC: the LDIF readers, the delegation printer,
 * the file store, and the engine's decisions with fake kinit, ldbsearch and
 * net on PATH (shell scripts that play a DC from files: accounts/<NAME> is
 * what ldbsearch finds; net "creates" an account owned by the service
 * account and saves the committed Samba blob tests/data/odj/samba-<name>.odj;
 * fail/<NAME> makes net fail, slow/<NAME> makes it hang). The live DC test
 * is tests/provision/provision_samba.sh.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "prov_internal.h"
#include "provision.h"
#include "util/mem.h"

#define SERVICE_SID "S-1-5-21-1-2-3-1104"

static char root[256], fake[300], dcdir[300], work[300], store[300];
static struct prov_storage st;

static void write_text(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

static void put(const char *sub, const char *name, const char *text)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s/%s", dcdir, sub, name);
	write_text(p, text, 0644);
}

static int exists(const char *sub, const char *name)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s/%s", dcdir, sub, name);
	return access(p, F_OK) == 0;
}

/* How many times net ran for name, and whether the last run said "reuse". */
static int net_runs(const char *name, int *reused)
{
	char p[600], line[256];
	int n = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/netlog", dcdir);
	*reused = 0;
	if (!(f = fopen(p, "r")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char who[64];
		if (sscanf(line, "%63s", who) == 1 && !strcmp(who, name)) {
			n++;
			*reused = strstr(line, "reuse") != NULL;
		}
	}
	fclose(f);
	return n;
}

static void make_fakes(void)
{
	char p[600], s[4096];

	snprintf(p, sizeof(p), "%s/kinit", fake);
	write_text(p, "#!/bin/sh\necho ticket > \"${KRB5CCNAME#FILE:}\"\n", 0755);
	snprintf(p, sizeof(p), "%s/ldbsearch", fake);
	snprintf(s, sizeof(s),
		 "#!/bin/sh\nD=%s\nfor a; do case \"$a\" in\n"
		 "'(sAMAccountName=ferry-odj)') printf 'dn: CN=ferry-odj,CN=Users\\nobjectSid: %s\\n';;\n"
		 "'(sAMAccountName='*'$)') n=${a#(sAMAccountName=}; n=${n%%$)};"
		 " [ -f \"$D/accounts/$n\" ] && cat \"$D/accounts/$n\";;\n"
		 "esac; done\nexit 0\n", dcdir, SERVICE_SID);
	write_text(p, s, 0755);
	snprintf(p, sizeof(p), "%s/net", fake);
	snprintf(s, sizeof(s),
		 "#!/bin/sh\nD=%s\nreuse=\nfor a; do case \"$a\" in\n"
		 "machine_name=*) n=${a#machine_name=};; savefile=*) out=${a#savefile=};;\n"
		 "reuse) reuse=reuse;; esac; done\n"
		 "echo \"$n $reuse\" >> $D/netlog\n"
		 "touch $D/active/$$; c=$(ls $D/active | wc -l); m=$(cat $D/max 2>/dev/null || echo 0)\n"
		 "[ $c -gt $m ] && echo $c > $D/max\n"
		 "[ -f $D/slow/$n ] && sleep 30\nsleep 0.3; rm -f $D/active/$$\n"
		 "if [ -f $D/fail/$n ]; then echo 'ads_print_error: Insufficient access'; exit 255; fi\n"
		 "if [ -z \"$reuse\" ] && [ -f $D/accounts/$n ]; then echo 'account exists'; exit 255; fi\n"
		 "printf 'dn: CN=%%s,OU=W,DC=ferry,DC=test\\nnTSecurityDescriptor: O:%sG:DU\\n' $n "
		 "> $D/accounts/$n\n"
		 "l=$(echo $n | tr A-Z a-z); b=$(cat $D/map/$n 2>/dev/null || echo $l)\n"
		 "cp %s/odj/samba-$b.odj \"$out\"\n",
		 dcdir, SERVICE_SID, FERRY_TEST_DATA);
	write_text(p, s, 0755);
}

static int setup(void **state)
{
	char p[600], *path = getenv("PATH"), newpath[4096];
	(void)state;
	snprintf(root, sizeof(root), "/tmp/ferry-test-prov.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(fake, sizeof(fake), "%s/bin", root);
	snprintf(dcdir, sizeof(dcdir), "%s/dc", root);
	snprintf(work, sizeof(work), "%s/work", root);
	snprintf(store, sizeof(store), "%s/store", root);
	mkdir(fake, 0700);
	mkdir(dcdir, 0700);
	mkdir(work, 0700);
	for (const char *const *d = (const char *const[]){ "accounts", "active", "fail", "slow",
							    "map", NULL }; *d; d++) {
		snprintf(p, sizeof(p), "%s/%s", dcdir, *d);
		mkdir(p, 0700);
	}
	snprintf(p, sizeof(p), "%s/keytab", root);
	write_text(p, "not a real keytab\n", 0600);
	make_fakes();
	snprintf(newpath, sizeof(newpath), "%s:%s", fake, path ? path : "/usr/bin:/bin");
	setenv("PATH", newpath, 1);
	return prov_storage_dir(&st, store) ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[600];
	(void)state;
	prov_storage_dir_free(&st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static struct prov_engine *engine(unsigned max_per_dc, unsigned timeout_s)
{
	char keytab[600];
	struct prov_config c = { .dns_domain = "ferry.test", .netbios_domain = "FERRY",
				 .dc = "ferrydc.ferry.test", .keytab = keytab,
				 .account = "ferry-odj", .work_dir = work,
				 .max_per_dc = max_per_dc, .timeout_s = timeout_s };
	struct prov_engine *e = NULL;

	snprintf(keytab, sizeof(keytab), "%s/keytab", root);
	assert_int_equal(prov_engine_new(&e, &c, &st), FERRY_OK);
	return e;
}

#define OU "OU=Workstations,DC=ferry,DC=test"

/* --- pure parts --- */

static void test_prov__parse_account_owner(void **state)
{
	struct prov_account a;
	(void)state;
	assert_int_equal(prov_parse_account(&a, "# record 1\ndn: CN=PC1,OU=W,DC=t,DC=test\n"
					    "nTSecurityDescriptor: O:S-1-5-21-9-8-7-1104G:DU\n"),
			 FERRY_OK);
	assert_true(a.exists);
	assert_string_equal(a.dn, "CN=PC1,OU=W,DC=t,DC=test");
	assert_string_equal(a.owner, "S-1-5-21-9-8-7-1104");
	assert_int_equal(prov_parse_account(&a, "dn: CN=PC2,CN=Computers,DC=t\n"
					    "nTSecurityDescriptor: O:DAG:DAD:AI\n"), FERRY_OK);
	assert_string_equal(a.owner, "DA");
	assert_int_equal(prov_parse_account(&a, "# Referral\nref: ldap://t/CN=Configuration\n"),
			 FERRY_OK);
	assert_false(a.exists);
	/* A record whose owner cannot be read is never taken as "free". */
	assert_int_equal(prov_parse_account(&a, "dn: CN=PC3,DC=t\n"), FERRY_ECORRUPT);
}

static void test_prov__domain_dn_and_key(void **state)
{
	char dn[64], key[PROV_KEY_MAX];
	(void)state;
	assert_int_equal(prov_domain_dn(dn, sizeof(dn), "target.example.org"), FERRY_OK);
	assert_string_equal(dn, "DC=target,DC=example,DC=org");
	assert_int_equal(prov_key(key, "Target.Test", "fin-pc-1"), FERRY_OK);
	assert_string_equal(key, "target.test/FIN-PC-1");
}

static void test_prov__delegation_prints_dsacls_and_samba_tool(void **state)
{
	struct prov_delegation d = { .ou = "OU=Ferry,DC=t,DC=test", .account = "T\\ferry-odj",
				     .account_sid = "S-1-5-21-1-2-3-1104" };
	char *text = NULL;
	size_t len = 0, dsacls = 0, samba = 0;
	FILE *f = open_memstream(&text, &len);
	(void)state;
	assert_int_equal(prov_delegation_print(f, &d), FERRY_OK);
	fclose(f);
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		dsacls += !strncmp(l, "dsacls \"OU=Ferry,DC=t,DC=test\" /I:", 34);
		samba += !strncmp(l, "samba-tool dsacl set --objectdn='OU=Ferry,DC=t,DC=test' "
				  "--sddl='(OA;CI", 70);
	}
	assert_int_equal(dsacls, 5);
	assert_int_equal(samba, 5);
	assert_non_null(strstr(text, "\"T\\ferry-odj:CCDC;computer\""));
	assert_non_null(strstr(text, ";00299570-246d-11d0-a768-00aa006e0529;bf967a86-0de6-11d0-"
				     "a285-00aa003049e2;S-1-5-21-1-2-3-1104)'"));
	assert_non_null(strstr(text, "(OA;CIIO;SW;72e39547-7b18-11d1-adef-00c04fd8d5cd;"));
	assert_non_null(strstr(text, "(OA;CIIO;SW;f3a64788-5306-11d1-a9c5-0000f80367c1;"));
	assert_non_null(strstr(text, "(OA;CIIO;RPWP;4c164200-20c0-11d0-a768-00aa006e0529;"));
	free(text);
}

static void test_prov__delegation_refuses_what_a_shell_would_misread(void **state)
{
	struct prov_delegation d = { .ou = "OU=Ferry',DC=t", .account = "T\\a",
				     .account_sid = "S-1-5-21-1-2-3-1104" };
	FILE *f = fopen("/dev/null", "w");
	(void)state;
	assert_int_equal(prov_delegation_print(f, &d), FERRY_EINVAL);
	d.ou = "OU=Ferry,DC=t";
	d.account_sid = "S-1-5-32-544"; /* Administrators: not an account to delegate to */
	assert_int_equal(prov_delegation_print(f, &d), FERRY_EINVAL);
	d.account_sid = "S-1-5-21-1-2-3-1104";
	d.account = "ferry-odj"; /* no domain */
	assert_int_equal(prov_delegation_print(f, &d), FERRY_EINVAL);
	fclose(f);
}

static void test_prov__store_keeps_the_first_blob(void **state)
{
	struct ferry_secret *b = NULL;
	(void)state;
	assert_int_equal(st.blob_get(st.ctx, "x.test/FIRST", &b), FERRY_ENOTFOUND);
	assert_int_equal(st.blob_put(st.ctx, "x.test/FIRST", (const uint8_t *)"one", 3), FERRY_OK);
	assert_int_equal(st.blob_put(st.ctx, "x.test/FIRST", (const uint8_t *)"two!", 4), FERRY_OK);
	assert_int_equal(st.blob_get(st.ctx, "x.test/FIRST", &b), FERRY_OK);
	assert_int_equal(b->len, 3);
	assert_memory_equal(b->data, "one", 3);
	ferry_secret_free(b);
	assert_int_equal(st.intent_get(st.ctx, "x.test/FIRST"), FERRY_ENOTFOUND);
	assert_int_equal(st.intent_put(st.ctx, "x.test/FIRST"), FERRY_OK);
	assert_int_equal(st.intent_get(st.ctx, "x.test/FIRST"), FERRY_OK);
}

static void test_prov__engine_refuses_an_open_work_dir(void **state)
{
	char keytab[600];
	struct prov_config c = { .dns_domain = "ferry.test", .netbios_domain = "FERRY",
				 .dc = "ferrydc.ferry.test", .keytab = keytab,
				 .account = "ferry-odj", .work_dir = work, .max_per_dc = 2 };
	struct prov_engine *e = NULL;
	(void)state;
	snprintf(keytab, sizeof(keytab), "%s/keytab", root);
	chmod(work, 0755);
	assert_int_equal(prov_engine_new(&e, &c, &st), FERRY_EINVAL);
	assert_non_null(strstr(ferry_error_detail(), "0700"));
	chmod(work, 0700);
	c.max_per_dc = 0;
	assert_int_equal(prov_engine_new(&e, &c, &st), FERRY_EINVAL);
	assert_null(e);
}

static void test_prov__leftover_job_dirs_wiped(void **state)
{
	char dir[600], file[700];
	struct prov_engine *e;
	(void)state;
	/* What a SIGKILLed worker leaves: a job directory with its ticket and blob. */
	snprintf(dir, sizeof(dir), "%s/job-DEAD1-abcdef", work);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(file, sizeof(file), "%s/ccache", dir);
	write_text(file, "ticket", 0600);
	snprintf(file, sizeof(file), "%s/blob.odj", dir);
	write_text(file, "machine password inside", 0600);
	e = engine(2, 30);
	assert_int_equal(access(dir, F_OK), -1);
	prov_engine_free(e);
}

/* --- the engine against the fake DC --- */

static void test_prov__account_sid_asked_of_the_dc(void **state)
{
	struct prov_engine *e = engine(2, 30);
	char sid[192];
	(void)state;
	assert_int_equal(prov_engine_account_sid(e, sid, sizeof(sid)), FERRY_OK);
	assert_string_equal(sid, SERVICE_SID);
	prov_engine_free(e);
}

static void test_prov__creates_once_then_returns_the_same_bytes(void **state)
{
	struct prov_engine *e = engine(2, 30);
	struct ferry_secret *a = NULL, *b = NULL;
	int reused;
	(void)state;
	assert_int_equal(prov_provision(&a, e, "FERRYPC01", OU, PROV_POLICY_FAIL), FERRY_OK);
	assert_int_equal(prov_provision(&b, e, "ferrypc01", OU, PROV_POLICY_FAIL), FERRY_OK);
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->data, b->data, a->len);
	assert_int_equal(net_runs("FERRYPC01", &reused), 1); /* the retry never reached the DC */
	assert_int_equal(net_runs("ferrypc01", &reused), 0);
	ferry_secret_free(a);
	ferry_secret_free(b);
	prov_engine_free(e);
}

static void test_prov__foreign_account_never_reused(void **state)
{
	struct prov_engine *e = engine(2, 30);
	struct ferry_secret *b = NULL;
	int reused;
	(void)state;
	put("accounts", "FERRYOU01", "dn: CN=FERRYOU01,CN=Computers,DC=ferry,DC=test\n"
				     "nTSecurityDescriptor: O:DAG:DA\n");
	assert_int_equal(prov_provision(&b, e, "FERRYOU01", OU, PROV_POLICY_REUSE_OWNED),
			 FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "owned by DA, not by the provisioning account"));
	assert_null(b);
	assert_int_equal(net_runs("FERRYOU01", &reused), 0);
	prov_engine_free(e);
}

static void test_prov__owned_account_follows_the_policy(void **state)
{
	struct prov_engine *e = engine(2, 30);
	struct ferry_secret *b = NULL;
	int reused = 0;
	(void)state;
	put("accounts", "ABCDEFGHIJKLMNO", "dn: CN=ABCDEFGHIJKLMNO,OU=W,DC=ferry,DC=test\n"
					   "nTSecurityDescriptor: O:" SERVICE_SID "G:DU\n");
	assert_int_equal(prov_provision(&b, e, "ABCDEFGHIJKLMNO", OU, PROV_POLICY_FAIL),
			 FERRY_EMISMATCH);
	assert_non_null(strstr(ferry_error_detail(), "policy is to fail"));
	assert_int_equal(prov_provision(&b, e, "ABCDEFGHIJKLMNO", OU, PROV_POLICY_REUSE_OWNED),
			 FERRY_OK);
	assert_int_equal(net_runs("ABCDEFGHIJKLMNO", &reused), 1);
	assert_true(reused);
	ferry_secret_free(b);
	prov_engine_free(e);
}

static void test_prov__own_intent_resumes_with_reuse(void **state)
{
	struct prov_engine *e = engine(2, 30);
	struct ferry_secret *b = NULL;
	int reused = 0;
	(void)state;
	/* A worker recorded its intent, made the account, and died before storing the blob. */
	assert_int_equal(st.intent_put(st.ctx, "ferry.test/FERRY-LAPTOP-7"), FERRY_OK);
	put("accounts", "FERRY-LAPTOP-7", "dn: CN=FERRY-LAPTOP-7,OU=W,DC=ferry,DC=test\n"
					  "nTSecurityDescriptor: O:" SERVICE_SID "G:DU\n");
	assert_int_equal(prov_provision(&b, e, "FERRY-LAPTOP-7", OU, PROV_POLICY_FAIL), FERRY_OK);
	assert_int_equal(net_runs("FERRY-LAPTOP-7", &reused), 1);
	assert_true(reused);
	ferry_secret_free(b);
	prov_engine_free(e);
}

static void test_prov__blob_for_another_machine_refused(void **state)
{
	struct prov_engine *e = engine(2, 30);
	struct ferry_secret *b = NULL;
	(void)state;
	put("map", "WRONGBLOB1", "ferrypc01");
	assert_int_equal(prov_provision(&b, e, "WRONGBLOB1", OU, PROV_POLICY_FAIL), FERRY_ECORRUPT);
	assert_non_null(strstr(ferry_error_detail(), "WRONGBLOB1"));
	assert_null(b);
	prov_engine_free(e);
}

static void test_prov__tool_failure_named_and_nothing_stored(void **state)
{
	struct prov_engine *e = engine(2, 30);
	struct ferry_secret *b = NULL;
	(void)state;
	put("fail", "NOACCESS1", "");
	assert_int_equal(prov_provision(&b, e, "NOACCESS1", OU, PROV_POLICY_FAIL), FERRY_ESYSTEM);
	assert_non_null(strstr(ferry_error_detail(), "net exited 255: ads_print_error: "
						     "Insufficient access"));
	assert_int_equal(st.blob_get(st.ctx, "ferry.test/NOACCESS1", &b), FERRY_ENOTFOUND);
	prov_engine_free(e);
}

static void test_prov__hung_tool_killed_at_the_timeout(void **state)
{
	struct prov_engine *e = engine(2, 1);
	struct ferry_secret *b = NULL;
	(void)state;
	put("slow", "HUNG1", "");
	assert_int_equal(prov_provision(&b, e, "HUNG1", OU, PROV_POLICY_FAIL), FERRY_ETIMEOUT);
	assert_non_null(strstr(ferry_error_detail(), "net: no answer within 1 s"));
	prov_engine_free(e);
}

static void test_prov__bad_names_and_ous_refused(void **state)
{
	struct prov_engine *e = engine(2, 30);
	struct ferry_secret *b = NULL;
	(void)state;
	assert_int_equal(prov_provision(&b, e, "TOO-LONG-A-NAME-1", OU, PROV_POLICY_FAIL),
			 FERRY_EINVAL);
	assert_int_equal(prov_provision(&b, e, "PC;rm", OU, PROV_POLICY_FAIL), FERRY_EINVAL);
	assert_int_equal(prov_provision(&b, e, "PC1", "OU=X,DC=other,DC=test", PROV_POLICY_FAIL),
			 FERRY_EINVAL);
	assert_int_equal(prov_provision(&b, e, "PC1", "OU=X'y,DC=ferry,DC=test",
					PROV_POLICY_FAIL), FERRY_EINVAL);
	prov_engine_free(e);
}

struct slot_job {
	struct prov_engine *e;
	const char *name;
	ferry_err rc;
};

static void *slot_worker(void *arg)
{
	struct slot_job *j = arg;
	struct ferry_secret *b = NULL;

	j->rc = prov_provision(&b, j->e, j->name, OU, PROV_POLICY_REUSE_OWNED);
	ferry_secret_free(b);
	return NULL;
}

static void test_prov__dc_slots_bound_concurrency(void **state)
{
	/* Four names whose blobs exist, four threads, two slots; net takes 0.3 s. */
	static const char *const names[] = { "FERRYPC01", "FERRYOU01", "ABCDEFGHIJKLMNO",
					     "FERRY-LAPTOP-7" };
	struct prov_engine *e = engine(2, 30);
	struct slot_job jobs[4];
	pthread_t t[4];
	struct prov_stats s;
	char p[600], text[16] = "";
	int seen;
	FILE *f;
	(void)state;
	/* Start from a fresh store and DC so every name reaches net. */
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/accounts/%s", dcdir, names[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/max", dcdir);
	unlink(p);
	prov_storage_dir_free(&st);
	{
		char cmd[700];
		/* The hung test's net was killed before it could leave active/. */
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' %s/active/*", store, dcdir);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(prov_storage_dir(&st, store), FERRY_OK);
	prov_engine_free(e);
	e = engine(2, 30);
	for (size_t i = 0; i < 4; i++) {
		jobs[i] = (struct slot_job){ e, names[i], FERRY_EIO };
		pthread_create(&t[i], NULL, slot_worker, &jobs[i]);
	}
	for (size_t i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(jobs[i].rc, FERRY_OK);
	}
	prov_engine_stats(e, &s);
	assert_int_equal(s.max_concurrent, 2);
	snprintf(p, sizeof(p), "%s/max", dcdir);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	seen = atoi(text); /* what the fake DC itself saw */
	assert_true(seen >= 1 && seen <= 2);
	assert_false(exists("active", "x"));
	prov_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prov__parse_account_owner),
		cmocka_unit_test(test_prov__domain_dn_and_key),
		cmocka_unit_test(test_prov__delegation_prints_dsacls_and_samba_tool),
		cmocka_unit_test(test_prov__delegation_refuses_what_a_shell_would_misread),
		cmocka_unit_test(test_prov__store_keeps_the_first_blob),
		cmocka_unit_test(test_prov__engine_refuses_an_open_work_dir),
		cmocka_unit_test(test_prov__leftover_job_dirs_wiped),
		cmocka_unit_test(test_prov__account_sid_asked_of_the_dc),
		cmocka_unit_test(test_prov__creates_once_then_returns_the_same_bytes),
		cmocka_unit_test(test_prov__foreign_account_never_reused),
		cmocka_unit_test(test_prov__owned_account_follows_the_policy),
		cmocka_unit_test(test_prov__own_intent_resumes_with_reuse),
		cmocka_unit_test(test_prov__blob_for_another_machine_refused),
		cmocka_unit_test(test_prov__tool_failure_named_and_nothing_stored),
		cmocka_unit_test(test_prov__hung_tool_killed_at_the_timeout),
		cmocka_unit_test(test_prov__bad_names_and_ous_refused),
		cmocka_unit_test(test_prov__dc_slots_bound_concurrency),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
