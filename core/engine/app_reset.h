/*
 * App reconfiguration (app_reconfiguration.reset) as data and decisions:
 * which keys and folders each RB_APP_* reset moves aside, and what to do
 * with each, given what exists, so that a reset and its rollback are
 * idempotent when re-run after a crash at any point. service/win/app_reset.c
 * performs the moves; this file decides them.
 *
 * Every move turns X into X + APP_BAK_SUFFIX in the same parent: a folder
 * is renamed (atomic); a key is copied and the original deleted, which is
 * not atomic, so the service records its intent ("moving") before and the
 * finished move ("done") after, outside the user's hive. Rollback is the
 * move back.
 */
#ifndef FERRY_ENGINE_APP_RESET_H
#define FERRY_ENGINE_APP_RESET_H

#include <stdbool.h>
#include <stddef.h>

#define APP_BAK_SUFFIX ".ferry-bak"

enum app_item_kind {
	APP_ITEM_KEY,        /* a key of the user's hive, path from the hive root */
	APP_ITEM_KEY_PREFIX, /* every subkey of `path` whose name starts with `prefix` */
	APP_ITEM_FOLDER,     /* a folder, path from the profile folder */
	APP_ITEM_RUNONCE,    /* a value `prefix` in the hive's RunOnce key at `path` */
};

struct app_item {
	unsigned app;   /* RB_APP_* */
	const char *id; /* stable name, used in the backup record */
	enum app_item_kind kind;
	const char *path;   /* '\\'-separated */
	const char *prefix; /* KEY_PREFIX: the name prefix; RUNONCE: the value name */
};

/** The items of every reset, in the order they run; *n gets the count. */
const struct app_item *app_reset_items(size_t *n);

/** The item with this id, or NULL. */
const struct app_item *app_reset_item(const char *id);

enum app_step {
	APP_STEP_NOTHING,   /* absent: the app is not there (or not this part of it) */
	APP_STEP_MOVE,      /* rename X to X.ferry-bak, then record */
	APP_STEP_RECORD,    /* moved before a crash, not recorded: record only */
	APP_STEP_DONE,      /* recorded: nothing more, even if X came back */
	APP_STEP_CONFLICT,  /* X and an unrecorded X.ferry-bak both exist: leave both */
};

/**
 * The reset's step for one item: does X exist, does X.ferry-bak, is the move
 * recorded done, is it recorded as started (so an X.ferry-bak next to X is
 * our own unfinished copy, to be redone).
 */
enum app_step app_reset_decide(bool src, bool bak, bool recorded, bool moving);

enum app_undo {
	APP_UNDO_NOTHING, /* no backup: nothing was moved (or it was already restored) */
	APP_UNDO_RESTORE, /* rename X.ferry-bak back to X */
	APP_UNDO_SWAP,    /* X was re-created since: rename it to X.ferry-new, then restore */
};

/** Rollback's step for one item. */
enum app_undo app_rollback_decide(bool src, bool bak);

const char *app_step_name(enum app_step s);

#endif
