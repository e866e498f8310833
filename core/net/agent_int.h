/*
 * Pieces the agent's files share inside core/net (agent_poll.c for v1,
 * agent_v2.c for v2). Not an API: the service and the CLI use agent.h and
 * agent_v2.h.
 */
#ifndef FERRY_NET_AGENT_INT_H
#define FERRY_NET_AGENT_INT_H

#include <stdbool.h>

#include "net/agent.h"

/*
 * One state file replaced so that a failure at any point leaves the copy
 * accepted before in place: the new bytes go to a temporary file with a
 * random name, the old copy is renamed aside (<name>.prev; rename() does
 * not replace a file on Windows), the new one renamed in. The caller then
 * writes agent.json's marks and either commits (the old copy removed) or
 * undoes (the new one removed, the old one renamed back).
 */
struct net_swap {
	char path[NET_PATH_MAX + 32];
	char prev[NET_PATH_MAX + 40];
	bool aside; /* the old copy is at prev */
	bool in;    /* the new copy is at path */
};

/**
 * Write data to a new "<path>.<32 hex>.tmp" (its name into tmp, cap bytes),
 * created exclusively without following a link (net_file_write_new).
 */
ferry_err net_agent_write_tmp(char *tmp, size_t cap, const char *path, const void *data,
			      size_t len);

ferry_err net_swap_begin(struct net_swap *s, const char *dir, const char *name,
			 const uint8_t *buf, size_t len);
void net_swap_commit(struct net_swap *s);
void net_swap_undo(struct net_swap *s);

/** The bearer token (FERRY_EPERM when not enrolled). */
ferry_err net_agent_token(struct net_agent *a, struct ferry_secret **out);

/** Queue an event naming rc and the detail (not for plain EIO), detail kept. */
void net_agent_note_refusal(struct net_agent *a, ferry_err rc, const char *kind);

/** GET path (with If-None-Match etag, may be ""); bytes counted, refusals noted. */
ferry_err net_agent_get(struct net_agent *a, struct net_reply *r, const char *path,
			const struct ferry_secret *tok, const char *etag);

/** A 429/503 reply: Retry-After noted, FERRY_EBUSY. */
ferry_err net_agent_busy(struct net_agent *a, const struct net_reply *r);

/** A poll's bookkeeping: failures, last_ok, the outbox flushed, agent.json saved. */
ferry_err net_agent_poll_done(struct net_agent *a, ferry_err rc);

/** GET the v1 assignment (a bundle) with its ETag and accept what is new. */
ferry_err net_agent_poll_v1(struct net_agent *a, const struct ferry_secret *tok,
			    enum net_poll_result *res, struct bundle **out);

#endif
