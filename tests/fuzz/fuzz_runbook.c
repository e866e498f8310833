/*
 * Runbooks and batches, as the service loads them from the bundle folder:
 * any bytes through runbook_parse and batch_parse; an accepted runbook is
 * planned (engine_plan) and cross-checked (rb_check_refs) as the service
 * does before it runs anything. The same bytes are then read as a batch's
 * devices CSV (batch_parse with load_csv, from a private temp folder).
 * Everything must be refused or accepted without a crash or a leak.
 */
#include <stdbool.h>
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "runbook/runbook.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ferry_profile profile = { "S-1-5-21-1-2-3-1105", "S-1-5-21-7-8-9-2201" };
static char dir[64];
static char csv_path[96];

static void once(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_runbook.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(csv_path, sizeof(csv_path), "%s/devices.csv", dir);
}

static void as_documents(const char *text, size_t size)
{
	struct rb_issues iss = { 0 };
	struct runbook *rb = NULL;
	struct batch *b = NULL;

	(void)rb_doc_kind(text, size);
	if (runbook_parse(&rb, &iss, "fuzz.json", text, size) == FERRY_OK) {
		const struct runbook *rbs[1] = { rb };
		const char *files[1] = { "fuzz.json" };
		struct engine_step *steps = NULL;
		size_t n = 0;

		if (engine_plan(&steps, &n, rb, &profile, 1) == FERRY_OK)
			ferry_free(steps);
		(void)rb_check_refs(&iss, NULL, "", rbs, files, 1);
		(void)runbook_is_migration(rb);
	}
	/* Only the document: a batch naming a CSV must not read files here. */
	if (batch_parse(&b, &iss, "batch.json", text, size, NULL, false) == FERRY_OK) {
		(void)batch_has_device(b, "PC01");
		(void)rb_check_refs(&iss, b, "batch.json", NULL, NULL, 0);
	}
	batch_free(b);
	runbook_free(rb);
	rb_issues_clear(&iss);
}

static void as_devices_csv(const uint8_t *data, size_t size)
{
	static const char batch[] = "{\"schema\":\"ferry.batch/1\",\"id\":\"fuzz\",\"name\":\"Fuzz\","
				    "\"runbooks\":[{\"runbook\":\"migration\",\"available_from\":null,"
				    "\"enforced_after\":null}],\"devices_csv\":\"devices.csv\"}";
	struct rb_issues iss = { 0 };
	struct batch *b = NULL;
	FILE *f = fopen(csv_path, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	if (batch_parse(&b, &iss, "batch.json", batch, sizeof(batch) - 1, dir, true) == FERRY_OK)
		(void)batch_has_device(b, "PC01");
	batch_free(b);
	rb_issues_clear(&iss);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	once();
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	as_documents(text, size);
	free(text);
	as_devices_csv(data, size);
	return 0;
}
