/*
 * Runbooks ("ferry.runbook/1") and batches ("ferry.batch/1"): the admin's
 * description of what a migration does, and when each device gets it.
 *
 * Parsing and validation are one pass: every problem found is appended to a
 * `struct rb_issues` list as (JSON Pointer, message), so an admin sees all of
 * them at once. A document with any issue yields no object. Unknown keys are
 * errors (a typo must not silently fall back to a default). docs/runbooks.md
 * describes every key; docs/runbook.schema.json is the same contract as JSON
 * Schema.
 */
#ifndef FERRY_RUNBOOK_RUNBOOK_H
#define FERRY_RUNBOOK_RUNBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define RUNBOOK_SCHEMA "ferry.runbook/1"
#define BATCH_SCHEMA "ferry.batch/1"

/* Largest runbook or batch document accepted, and longest text value. */
#define RUNBOOK_MAX_BYTES (256u * 1024u)
#define RUNBOOK_MAX_TEXT 4096u
#define RUNBOOK_ID_MAX 64u

/* One validation problem: `pointer` is an RFC 6901 JSON Pointer ("" = the
 * whole document); `file` names the document it came from (may be ""). */
struct rb_issue {
	char *file;
	char *pointer;
	char *message;
};

struct rb_issues {
	struct rb_issue *v;
	size_t n;
	size_t cap;
};

/** Append one issue (all strings copied). */
ferry_err rb_issues_add(struct rb_issues *iss, const char *file, const char *pointer,
			const char *fmt, ...) FERRY_PRINTF(4, 5);

/** Release every issue; the list may be reused. NULL-safe. */
void rb_issues_clear(struct rb_issues *iss);

enum rb_mode { RB_MODE_SILENT, RB_MODE_SHOW_PROGRESS };
enum rb_image_source { RB_IMAGE_DEFAULT, RB_IMAGE_CUSTOM };
enum rb_remove_from { RB_REMOVE_NONE, RB_REMOVE_ALL_DIRECTORIES };
enum rb_join_type { RB_JOIN_NONE, RB_JOIN_ACTIVE_DIRECTORY };
enum rb_perm_mode { RB_PERM_NONE, RB_PERM_ADD, RB_PERM_REPLACE, RB_PERM_REMOVE };

/* app_reconfiguration.reset, as a bit set. */
#define RB_APP_OFFICE 0x1u
#define RB_APP_TEAMS 0x2u
#define RB_APP_ONEDRIVE 0x4u

struct rb_strlist {
	char **v;
	size_t n;
};

/* A title and a text shown on one screen; NULL when the runbook leaves the
 * screen's built-in text in place. */
struct rb_screen {
	char *title;
	char *text;
};

enum rb_creds_rule { RB_CREDS_EVERY_MAPPED_USER, RB_CREDS_ANY_MAPPED_USER };

struct runbook {
	char *id;
	char *name;
	struct rb_strlist prerequisites;

	struct {
		bool run;
		enum rb_mode mode;
		enum rb_image_source image_source;
		char *image_path;          /* only with RB_IMAGE_CUSTOM */
		bool set_legal_notice;
		bool prevent_login;
		unsigned prevent_login_max_hours; /* lease cap; default HINT_CAP_DEFAULT_HOURS */
		struct {
			bool enabled;
			char *username;
			unsigned deletion_delay_hours;
		} fallback;
		struct rb_strlist command_packages;
	} startup;

	struct {
		char *qr_code_url;
		char *support_phone;
		struct {
			char *window_title;
			char *main_message;
			char *username_placeholder;
			char *login_text;
			char *logo;
		} cache_credentials;
		struct rb_screen migration_available;
		struct rb_screen migration_starting;
		struct rb_screen migration_in_progress;
		struct rb_screen migration_complete;
		struct rb_screen service_unavailable;
		struct {
			char *caption;
			char *text;
		} legal_notice;
	} user_experience;

	struct {
		bool cache_user_credentials;
		/* Who must have cached before "credentials cached" holds (the
		 * prerequisite of every migration that follows): every user of
		 * this PC the identity mapping maps (default), or any one. */
		enum rb_creds_rule credentials_required;
		enum rb_remove_from remove_from;
		enum rb_join_type join_type;
		char *domain;
		bool offline_domain_join;
		char *computer_ou;
	} device_state;

	struct {
		enum rb_perm_mode mode;
		struct rb_strlist paths;
		bool registry_hives;
		bool profile;
	} permission_updates;

	unsigned app_reset; /* RB_APP_* */

	struct {
		bool run;
		struct rb_strlist command_packages;
		bool uninstall_agent;
	} completion;

	/* Failure policy: each step is tried at most `attempts` times, waiting
	 * backoff_seconds, doubling up to max_backoff_seconds, in between. */
	struct {
		unsigned attempts;
		unsigned backoff_seconds;
		unsigned max_backoff_seconds;
	} retry;
};

/* "No time": a batch entry without available_from / enforced_after. */
#define RB_TIME_NONE INT64_MIN

struct batch_entry {
	char *runbook;
	int64_t available_from;  /* Unix seconds UTC, or RB_TIME_NONE */
	int64_t enforced_after;  /* Unix seconds UTC, or RB_TIME_NONE */
};

struct batch {
	char *id;
	struct batch_entry *entries;
	size_t n_entries;
	struct rb_strlist devices;  /* inline names plus every name from the CSV */
	char *devices_csv;          /* as written in the document, or NULL */
};

/**
 * Parse and validate a runbook document. On success *out receives a runbook
 * the caller frees with runbook_free. If the document is invalid, returns
 * FERRY_ECORRUPT, *out is NULL and every problem is appended to `iss`
 * (tagged with `file`, which may be ""). FERRY_ENOMEM on allocation failure.
 */
ferry_err runbook_parse(struct runbook **out, struct rb_issues *iss, const char *file,
			const char *json, size_t len);

/** NULL-safe. */
void runbook_free(struct runbook *rb);

/**
 * Parse and validate a batch document. A `devices_csv` file is read
 * relative to `base_dir` (NULL or "" = the current directory); pass
 * load_csv=false to validate only the document. Same contract as
 * runbook_parse; free with batch_free.
 */
ferry_err batch_parse(struct batch **out, struct rb_issues *iss, const char *file,
		      const char *json, size_t len, const char *base_dir, bool load_csv);

/** NULL-safe. */
void batch_free(struct batch *b);

/** Whether `device` (case-insensitive ASCII) is one of the batch's devices. */
bool batch_has_device(const struct batch *b, const char *device);

/** Whether the runbook changes the device's domain (the "migration" kind). */
bool runbook_is_migration(const struct runbook *rb);

/**
 * Cross-references between one batch (may be NULL) and a set of runbooks:
 * unique runbook ids; prerequisites exist, are not the runbook itself, and
 * form no cycle; every batch runbook exists, appears once, and has its
 * prerequisites in the batch; enforced_after >= available_from; and a
 * prerequisite is never made available after the runbook needing it.
 * Problems go to `iss` (tagged with the file names given); returns
 * FERRY_ECORRUPT if there were any.
 */
ferry_err rb_check_refs(struct rb_issues *iss, const struct batch *b, const char *batch_file,
			const struct runbook *const *rbs, const char *const *rb_files, size_t n);

/*
 * The name grammars runbooks use, shared with the v2 catalog and
 * assignment (core/net): each returns NULL when s is acceptable, else a
 * static reason.
 */
/** A SAM account name: 1..max bytes, none of " / \ [ ] : ; | = , + * ? < > @,
 *  not ending in '.', no leading or trailing space (20 for users). */
const char *rb_check_account_max(const char *s, size_t max);
/** A NetBIOS computer name: 1..15 of letters, digits and '-', not all digits. */
const char *rb_check_computer_name(const char *s);
/** A fully qualified DNS domain name (labels of 1-63 letters, digits, '-'). */
const char *rb_check_domain(const char *s);
/** An OU or container DN whose DC= components spell `domain` (NULL: any). */
const char *rb_check_ou(const char *ou, const char *domain);

/* Which kind a document declares in its "schema" key. */
enum rb_doc_kind { RB_DOC_UNKNOWN, RB_DOC_RUNBOOK, RB_DOC_BATCH, RB_DOC_NOT_JSON };

/** Look at a document's "schema" value without validating the rest. */
enum rb_doc_kind rb_doc_kind(const char *json, size_t len);

/** Read a whole file (at most `max` bytes) into a NUL-terminated buffer. */
ferry_err rb_read_file(char **out, size_t *len, const char *path, size_t max);

#endif
