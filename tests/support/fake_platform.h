/*
 * The tests' struct ferry_platform: a simulated Windows PC in memory.
 *
 * - Every op call is recorded (calls[] and a text log, "op(arg)\n").
 * - The PC's state is a plain struct (world) so two runs can be compared.
 * - Non-idempotent ops refuse to run in the wrong state (unjoin when not
 *   joined, create an account that exists, ...), like Windows would.
 * - Faults: fail the next N calls of any op; crash at the Nth journal write
 *   (append, replace or sync), optionally tearing an append after k bytes;
 *   crash right after the Nth effect. After a crash every call fails with
 *   FERRY_EIO until fake_platform_power_cycle(), which also loses unsynced
 *   journal bytes and changes the boot id, as a power loss would.
 * - Storage holds one named file (the journal) in memory.
 */
#ifndef FERRY_TESTS_FAKE_PLATFORM_H
#define FERRY_TESTS_FAKE_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/platform.h"

enum fake_op {
	FX_CACHE_CREDENTIALS, FX_CREATE_FALLBACK, FX_DELETE_FALLBACK, FX_SET_LOCK_SCREEN,
	FX_RESTORE_LOCK_SCREEN, FX_SET_LEGAL_NOTICE, FX_RESTORE_LEGAL_NOTICE, FX_SET_PREVENT_LOGIN,
	FX_CLEAR_PREVENT_LOGIN, FX_RUN_PACKAGE, FX_NOTIFY_USER, FX_UNJOIN, FX_LEAVE_ENTRA,
	FX_IMPORT_ODJ, FX_REACL_PATHS, FX_REACL_HIVES, FX_REMAP_PROFILE, FX_RESET_APPS,
	FX_UNINSTALL, FX_REBOOT, FX_REPORT_EVENT, FX_OBTAIN_ODJ,
	FX_COUNT
};

#define FAKE_MAX_PACKAGES 8

/* The sealed ODJ blob: on the PC's disk (world.odj_blob) and what the
 * server hands out (server_odj). */
enum fake_odj { FAKE_ODJ_NONE, FAKE_ODJ_VALID, FAKE_ODJ_CORRUPT, FAKE_ODJ_OTHER_MACHINE };

/* The simulated PC. Zero-initialised and filled with snprintf so memcmp compares it. */
struct fake_world {
	char ad_domain[64];
	bool entra_joined;
	bool creds_cached;
	bool fallback_exists;
	bool lock_screen_set;
	bool legal_notice_set;
	int64_t lease_until; /* 0 = no lease */
	char packages_done[FAKE_MAX_PACKAGES][64];
	unsigned n_packages;
	bool reacl_paths, reacl_hives, profile_remapped;
	unsigned apps_reset;
	bool uninstalled;
	int last_experience;
	char last_event[256];
	int odj_blob; /* enum fake_odj: the sealed blob on disk */
};

struct fake_platform {
	struct ferry_platform ops; /* ops.ctx points back here */
	struct fake_world world;
	uint64_t boot_id;
	int64_t clock;

	char file_name[64];
	bool file_exists;
	uint8_t *file;
	size_t file_len, file_synced;

	char log[16384];
	size_t log_len;
	unsigned calls[FX_COUNT];
	unsigned pkg_runs[FAKE_MAX_PACKAGES]; /* runs per package, by packages_done index */

	unsigned long writes;             /* journal writes so far */
	unsigned long append_write[256];  /* write number of each append */
	size_t append_len[256];           /* and its size */
	unsigned long appends;            /* of which appends */
	size_t last_append_len;           /* size of the last append attempted */
	unsigned long crash_at_write;     /* crash at this write (1-based); 0 = never */
	size_t torn_bytes;                /* if that write is an append: bytes that land */
	unsigned long effects;            /* effect calls so far */
	unsigned long crash_after_effect; /* crash after this effect (1-based); 0 = never */
	unsigned fail_next[FX_COUNT];     /* the next N calls of the op fail */
	bool crashed;
	unsigned long crashes;
	int server_odj;          /* enum fake_odj the server gives; FAKE_ODJ_VALID by default */
	int odj_at_power_cycle;  /* a blob on disk becomes this at the next power cycle; 0 = kept */
	unsigned unjoins_without_blob; /* unjoin_domain called while no valid blob was on disk */
};

/** A PC joined to source.example and Entra, nothing cached, clock at `now`. */
void fake_platform_init(struct fake_platform *f, int64_t now);

/** Restart after a crash: unsynced journal bytes are lost and the boot id changes. */
void fake_platform_power_cycle(struct fake_platform *f);

/** Release the stored file. */
void fake_platform_free(struct fake_platform *f);

const char *fake_op_name(enum fake_op op);

#endif
