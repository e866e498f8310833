/*
 * `ferry dir`: directory snapshots (core/dir/snapshot.h, docs/directory.md).
 *
 *   ferry dir snapshot --ldap URL --base DN ...   (dir_ldap.c; native only)
 *   ferry dir diff OLD NEW                        what changed, by uSNChanged
 *   ferry dir check FILE                          parse and summarise a snapshot
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dir/snapshot.h"

static int usage_dir(void)
{
	fprintf(stderr, "usage: ferry dir snapshot --ldap URL --base DN [--bind DN --password-file F"
	                " | --gssapi] --out FILE\n"
	                "                          (native only; `ferry dir snapshot` alone for all options)\n"
	                "       ferry dir diff OLD NEW\n"
	                "       ferry dir check FILE\n");
	return CLI_EXIT_USAGE;
}

static int fail(const char *what)
{
	fprintf(stderr, "ferry dir %s: %s\n", what, ferry_error_detail());
	return 1;
}

static int cmd_check(int argc, char **argv)
{
	struct dir_snapshot *s = NULL;
	size_t n[4] = {0, 0, 0, 0};

	if (argc != 2)
		return usage_dir();
	if (dir_snapshot_load(&s, argv[1]) != FERRY_OK)
		return fail("check");
	for (size_t i = 0; i < s->count; i++)
		n[s->obj[i].kind]++;
	printf("%s: %s (%s, %s), %zu users, %zu groups, %zu computers, highest USN %llu, read %s\n",
	       argv[1], s->domain, s->netbios, s->domain_sid, n[DIR_USER], n[DIR_GROUP],
	       n[DIR_COMPUTER], (unsigned long long)s->highest_usn, s->created);
	dir_snapshot_free(s);
	return 0;
}

static int cmd_diff(int argc, char **argv)
{
	struct dir_snapshot *a = NULL, *b = NULL;
	struct dir_delta *d = NULL;
	int rc = 1;

	if (argc != 3)
		return usage_dir();
	if (dir_snapshot_load(&a, argv[1]) != FERRY_OK || dir_snapshot_load(&b, argv[2]) != FERRY_OK ||
	    dir_snapshot_delta(&d, a, b) != FERRY_OK) {
		fail("diff");
		goto out;
	}
	printf("delta (%s): %zu added, %zu removed, %zu changed, %zu unchanged\n",
	       d->same_server ? "by uSNChanged, same DC" : "by whenChanged, different DCs", d->added,
	       d->removed, d->changed, d->unchanged);
	for (size_t i = 0; i < d->added; i++)
		printf("added\t%s\t%s\n", dir_kind_name(b->obj[d->added_idx[i]].kind),
		       b->obj[d->added_idx[i]].dn);
	for (size_t i = 0; i < d->removed; i++)
		printf("removed\t%s\t%s\n", dir_kind_name(a->obj[d->removed_idx[i]].kind),
		       a->obj[d->removed_idx[i]].dn);
	for (size_t i = 0; i < d->changed; i++)
		printf("changed\t%s\t%s\n", dir_kind_name(b->obj[d->changed_idx[i]].kind),
		       b->obj[d->changed_idx[i]].dn);
	rc = 0;
out:
	dir_delta_free(d);
	dir_snapshot_free(a);
	dir_snapshot_free(b);
	return rc;
}

int cmd_dir(int argc, char **argv)
{
	if (argc < 2)
		return usage_dir();
	if (!strcmp(argv[1], "snapshot"))
		return dir_ldap_snapshot(argc - 1, argv + 1);
	if (!strcmp(argv[1], "diff"))
		return cmd_diff(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	return usage_dir();
}
