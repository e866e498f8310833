/*
 * The console's outside input (srv_console.h): form bodies and query
 * strings through con_form_get, and every decoded value back out through
 * the HTML and URL writers, whose output must hold no '<', '>', '"' or '\''.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srv_console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "csrf", "device", "reason", "token", "q", "" };
	struct srv_reply rp = { 0 };
	struct con c = { .rp = &rp };
	char v[CON_FORM_MAX];

	if (size > 64 * 1024)
		return 0;
	ferry_buf_init(&rp.body, 1u << 20);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!con_form_get(v, sizeof(v), (const char *)data, size, names[i]))
			continue;
		if (strlen(v) >= sizeof(v))
			abort();
		ferry_buf_free(&rp.body);
		ferry_buf_init(&rp.body, 1u << 20);
		con_text(&c, v);
		con_url(&c, v);
		if (memchr(rp.body.data, '<', rp.body.len) || memchr(rp.body.data, '>', rp.body.len) ||
		    memchr(rp.body.data, '"', rp.body.len) || memchr(rp.body.data, '\'', rp.body.len))
			abort();
	}
	ferry_buf_free(&rp.body);
	return 0;
}
