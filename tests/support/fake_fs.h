/*
 * An in-memory tree behind struct walk_fs (core/sec/walk.h) for the walker's
 * tests: nodes named by full path ('/' separated), each with attributes, a
 * security descriptor and per-node fault switches; a checkpoint store; and a
 * simulated crash at the Nth open, after which every call fails and nothing
 * more is written or stored, as if the process had died there.
 */
#ifndef FERRY_TESTS_FAKE_FS_H
#define FERRY_TESTS_FAKE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec/walk.h"

struct fake_fs_node {
	char path[200];
	unsigned attrs;
	uint8_t sd[512];
	size_t sd_len;
	bool fail_open, fail_write, fail_list;
	unsigned opens, writes, lists;
};

struct fake_fs {
	struct walk_fs fs; /* fs.ctx points back here */
	struct fake_fs_node *nodes;
	size_t n, cap;
	unsigned long opens, writes, lists;
	unsigned long crash_at_open; /* 1-based; 0 = never */
	bool crashed;
	/* The checkpoint store. */
	uint8_t *ckpt;
	size_t ckpt_len;
	unsigned long ckpt_writes;
};

void fake_fs_init(struct fake_fs *f);
void fake_fs_free(struct fake_fs *f);

/** Add a node; its SD from SDDL (the test fails on bad SDDL). */
struct fake_fs_node *fake_fs_add(struct fake_fs *f, const char *path, unsigned attrs,
				 const char *sddl);

/** The node at path, or NULL. */
struct fake_fs_node *fake_fs_find(struct fake_fs *f, const char *path);

/** Checkpoint callbacks for walk_opts (arg = the fake_fs). */
ferry_err fake_fs_ckpt_read(void *arg, uint8_t **data, size_t *len);
ferry_err fake_fs_ckpt_write(void *arg, const uint8_t *data, size_t len);

/** A power cycle: the crash is over, the counters of calls restart. */
void fake_fs_restart(struct fake_fs *f);

#endif
