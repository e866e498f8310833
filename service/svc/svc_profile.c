/*
 * The profile ops' context (win/profops.h struct win_profile_ctx), from the
 * run context the worker fills (svc_platform.h).
 *
 * The table is the identity mapping of the accepted signed bundle
 * (net/idmap.h, run->map), and nothing else: no file beside the bundle, no
 * command-line table (issue 15 finding 6). Whose profile an op acts on is
 * the engine's argument (struct ferry_profile): the agent plans one set of
 * steps per local profile the mapping names (agent.c), so this file only
 * checks that the profile is still what the mapping says.
 */
/* Core security headers before <windows.h> (see win/profops_int.h). */
#include "net/idmap.h"
#include "sec/sid.h"
#include "win/profops.h"

#include "svc/svc_binding.h"

#include <stdio.h>
#include <string.h>

ferry_err svc_profile_context(struct svc_platform *p, const char *op,
			      const struct ferry_profile *pf, struct win_profile_ctx *out)
{
	const struct idmap *m = p->run->map;
	const struct idmap_entry *e;
	char target[SID_STRING_MAX];

	memset(out, 0, sizeof(*out));
	if (!m)
		return ferry_error_set(FERRY_ENOTFOUND, "%s: no identity mapping: the accepted "
				       "signed bundle carries none (docs/protocol.md)", op);
	if (pf) {
		if (!pf->source_sid || !pf->target_sid || !(e = idmap_by_source(m, pf->source_sid)) ||
		    e->kind != IDMAP_USER)
			return ferry_error_set(FERRY_EMISMATCH, "%s: profile %s is not a user of the "
					       "signed identity mapping", op,
					       pf->source_sid ? pf->source_sid : "(none)");
		sid_format(&e->target_sid, target);
		if (strcmp(target, pf->target_sid))
			return ferry_error_set(FERRY_EMISMATCH, "%s: the signed identity mapping maps "
					       "%s to %s, not %s", op, pf->source_sid, target,
					       pf->target_sid);
		out->source_sid = pf->source_sid;
		out->target_sid = pf->target_sid;
	}
	out->table = m->table;
	out->store = &p->ops;
	return FERRY_OK;
}
