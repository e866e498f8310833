/* Per-op authorisation (issue 6, design §3, issue 17 §2, issue 15 finding 8): a pure
 * decision table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ipc/authz.h"
#include "sec/account.h"
#include "util/err.h"

static struct ipc_authz_decision decide(bool allow, const char *fmt, ...) FERRY_PRINTF(2, 3);

static struct ipc_authz_decision decide(bool allow, const char *fmt, ...)
{
	struct ipc_authz_decision d;
	va_list ap;

	d.allow = allow;
	va_start(ap, fmt);
	vsnprintf(d.reason, sizeof(d.reason), fmt, ap);
	va_end(ap);
	return d;
}

#define DECIDE(allow, text) decide((allow), "%s", (text))

bool ipc_authz_names(const struct ipc_authz_account *a, const char *user, const char *domain)
{
	char name[ACCOUNT_PART_MAX + 1];
	const char *at;
	size_t n;

	if (!a || !a->sam || !user || !domain || !*user)
		return false;
	if (account_same(user, a->sam))
		return account_same(domain, a->netbios_domain) || account_same(domain, a->dns_domain);
	if (!a->upn || !*a->upn || !(at = strrchr(a->upn, '@')))
		return false;
	if (account_same(user, a->upn))
		return !*domain || account_same(domain, at + 1);
	n = (size_t)(at - a->upn);
	if (n >= sizeof(name))
		return false;
	memcpy(name, a->upn, n);
	name[n] = '\0';
	return account_same(user, name) && account_same(domain, at + 1);
}

/* The same user typed with another domain (the source domain's account):
 * the typed account part is the row's sAMAccountName or its UPN's name. */
static bool same_user_other_domain(const struct ipc_authz_account *a, const char *user)
{
	char part[ACCOUNT_PART_MAX + 1], upn_name[ACCOUNT_PART_MAX + 1];

	account_part(part, sizeof(part), user);
	if (account_same(part, a->sam))
		return true;
	if (!a->upn || !*a->upn)
		return false;
	account_part(upn_name, sizeof(upn_name), a->upn);
	return account_same(part, upn_name);
}

static struct ipc_authz_decision account_ok(const struct ipc_authz_account *a,
					   const struct ipc_authz_mapping *m)
{
	if (!m->target_domain || !account_same(a->dns_domain, m->target_domain))
		return decide(false, "%s\\%s is not in the runbook's target domain %s",
			      a->netbios_domain, a->sam,
			      m->target_domain ? m->target_domain : "(none)");
	return decide(true, "%s\\%s is a mapped target account of this PC", a->netbios_domain,
		      a->sam);
}

/* The interactive user's own account, or the sentence saying which one to use. */
static struct ipc_authz_decision own_account(const struct ipc_request *r,
					    const struct ipc_authz_mapping *m)
{
	const struct ipc_authz_account *a = m ? m->own : NULL;
	const char *user = r->u.creds.user, *dom = r->u.creds.domain;
	char typed[2 * IPC_NAME_MAX + 2];

	if (!a)
		return DECIDE(false, "the user logged on here has no mapped target account");
	if (ipc_authz_names(a, user, dom))
		return account_ok(a, m);
	snprintf(typed, sizeof(typed), "%s%s%s", dom, *dom ? "\\" : "", user);
	if (same_user_other_domain(a, user))
		return decide(false, "%s is not the account this user moves to: cache %s\\%s, the "
			      "target-domain account", typed, a->netbios_domain, a->sam);
	return decide(false, "credentials may be cached only for this user's mapped target "
		      "account, %s\\%s", a->netbios_domain, a->sam);
}

/* The logon-screen tile: any mapped target account of this PC's users. */
static struct ipc_authz_decision device_account(const struct ipc_request *r,
					       const struct ipc_authz_mapping *m)
{
	const char *user = r->u.creds.user, *dom = r->u.creds.domain;
	char typed[2 * IPC_NAME_MAX + 2];

	for (size_t i = 0; m && i < m->n_users; i++)
		if (ipc_authz_names(&m->users[i], user, dom))
			return account_ok(&m->users[i], m);
	snprintf(typed, sizeof(typed), "%s%s%s", dom, *dom ? "\\" : "", user);
	for (size_t i = 0; m && i < m->n_users; i++)
		if (same_user_other_domain(&m->users[i], user))
			return decide(false, "%s is not the account this user moves to: cache %s\\%s, "
				      "the target-domain account", typed, m->users[i].netbios_domain,
				      m->users[i].sam);
	return decide(false, "%s is not the mapped target account of a user of this PC", typed);
}

bool ipc_op_device_wide(enum ipc_op op)
{
	return op == IPC_OP_START_NOW || op == IPC_OP_SNOOZE || op == IPC_OP_ACK_COMPLETE;
}

/* start_now, snooze, ack_complete decide for every user of the PC: only a
 * user whose profile this migration moves may take that decision. */
static struct ipc_authz_decision device_wide(const struct ipc_caller *caller,
					    const struct ipc_request *r,
					    const struct ipc_authz_mapping *m)
{
	const char *op = ipc_op_name(r->op), *sid = *caller->sid ? caller->sid : "(unknown SID)";

	if (!m)
		return decide(false, "%s refused: no signed identity mapping is in force, so no "
			      "user of this PC migrates; only SYSTEM may start, snooze or "
			      "acknowledge this migration", op);
	if (!m->own)
		return decide(false, "%s refused: the user of this session (%s) is not a migrated "
			      "user of this PC (no user row in the signed identity mapping); only a "
			      "migrated user may start, snooze or acknowledge the migration", op, sid);
	return decide(true, "%s from a migrated user of this PC (%s\\%s)", op,
		      m->own->netbios_domain, m->own->sam);
}

struct ipc_authz_decision ipc_authz_check(const struct ipc_caller *caller,
					  const struct ipc_request *r,
					  const struct ipc_authz_mapping *mapping)
{
	uint32_t target = r->session == IPC_NO_SESSION ? caller->session : r->session;

	switch (caller->cls) {
	case IPC_CALLER_SYSTEM:
		if (r->op == IPC_OP_CACHE_CREDENTIALS)
			return device_account(r, mapping);
		return DECIDE(true, "SYSTEM may run every op");
	case IPC_CALLER_INTERACTIVE_USER:
		break;
	default:
		return DECIDE(false, "caller is neither SYSTEM nor an interactive user");
	}
	if (r->op == IPC_OP_HELLO)
		return DECIDE(true, "hello is open to every interactive user");
	if (target != caller->session)
		return DECIDE(false, "an interactive user may act only for its own session");
	if (ipc_op_device_wide(r->op))
		return device_wide(caller, r, mapping);
	if (r->op != IPC_OP_CACHE_CREDENTIALS)
		return DECIDE(true, "own session");
	return own_account(r, mapping);
}
