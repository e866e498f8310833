/*
 * The device state file (device-state.json in the state folder), which
 * the service reads at every start: whether credentials are cached, which
 * runbooks completed, snoozes, the running phase. Any bytes through
 * device_state_parse; refused or accepted, never a crash or a leak, and
 * an accepted document's strings are all NUL-terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runbook/schedule.h"
#include "util/err.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_issues iss = { 0 };
	struct device_state_doc *d = NULL;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	ferry_error_clear();
	if (device_state_parse(&d, &iss, "device-state.json", text, size) == FERRY_OK) {
		size_t sum = 0;

		for (size_t i = 0; i < d->st.n_completed; i++)
			sum += strlen(d->st.completed[i]);
		if (d->st.credentials_user)
			sum += strlen(d->st.credentials_user);
		if (d->st.running_runbook)
			sum += strlen(d->st.running_runbook);
		(void)sum;
	} else if (iss.n == 0 && !ferry_error_detail()[0]) {
		abort(); /* a refusal always says why */
	}
	device_state_free(d);
	rb_issues_clear(&iss);
	free(text);
	return 0;
}
