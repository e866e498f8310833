/*
 * A signed bundle for the ferrysvc Wine suites: the sample batch and
 * runbooks signed with the suites' own throw-away key, in a BundleDir the
 * policy names (HKLM\SOFTWARE\Policies\Ferry BundleDir and
 * SigningPublicKey; the suites that write it share the ferry-registry
 * resource lock). Header-only like svc_client.h; needs cmocka first.
 */
#ifndef FERRY_TESTS_SVC_BUNDLE_H
#define FERRY_TESTS_SVC_BUNDLE_H

#include <windows.h>

#include <stdio.h>
#include <wchar.h>

#include <cjson/cJSON.h>

#include "net/bundle.h"
#include "net/sig.h"
#include "runbook/runbook.h"
#include "svc_client.h"
#include "util/base64.h"

/* A throw-away signing key: the tests' own, never a site's. */
static const uint8_t svc_test_priv[32] = { 7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					   13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
					   27, 28 };

static inline void svc_test_set_sz(const wchar_t *key, const wchar_t *name, const wchar_t *v)
{
	HKEY k;

	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_SET_VALUE, NULL,
					 &k, NULL), ERROR_SUCCESS);
	assert_int_equal(RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)v,
					(DWORD)((wcslen(v) + 1) * sizeof(wchar_t))), ERROR_SUCCESS);
	RegCloseKey(k);
}

static inline cJSON *svc_test_sample_json(const char *name)
{
	char path[MAX_PATH], *text = NULL;
	size_t len = 0;
	cJSON *j;

	snprintf(path, sizeof(path), "%s/%s", SVC_TEST_SAMPLES, name);
	assert_int_equal(rb_read_file(&text, &len, path, 1u << 20), FERRY_OK);
	j = cJSON_ParseWithLength(text, len);
	ferry_free(text);
	assert_non_null(j);
	return j;
}

/* The sample batch and runbooks as a bundle payload (sequence 1, for any
 * agent), with `identity_map` (taken; NULL: none) as the device's mapping. */
static inline cJSON *svc_test_sample_payload(cJSON *identity_map)
{
	cJSON *p = cJSON_CreateObject(), *batch = svc_test_sample_json("batch-01.json"), *rbs;

	cJSON_DeleteItemFromObject(batch, "devices_csv");
	cJSON_AddNumberToObject(p, "sequence", 1);
	cJSON_AddStringToObject(p, "issued", "2025-03-01T00:00:00Z");
	cJSON_AddStringToObject(p, "not_after", "2099-01-01T00:00:00Z");
	cJSON_AddStringToObject(p, "agent", "*");
	cJSON_AddItemToObject(p, "batch", batch);
	rbs = cJSON_AddArrayToObject(p, "runbooks");
	cJSON_AddItemToArray(rbs, svc_test_sample_json("cache-credentials.json"));
	cJSON_AddItemToArray(rbs, svc_test_sample_json("migration.json"));
	cJSON_AddArrayToObject(p, "packages");
	if (identity_map)
		cJSON_AddItemToObject(p, "identity_map", identity_map);
	return p;
}

/* dir\bundle.json: payload `p` (taken) signed with svc_test_priv. */
static inline void svc_test_write_payload(const wchar_t *dir, cJSON *p)
{
	wchar_t path[MAX_PATH];
	char *env = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(bundle_sign(&env, &len, p, svc_test_priv), FERRY_OK);
	swprintf(path, MAX_PATH, L"%ls\\bundle.json", dir);
	assert_non_null(f = _wfopen(path, L"wb"));
	assert_int_equal(fwrite(env, 1, len, f), len);
	fclose(f);
	ferry_free(env);
	cJSON_Delete(p);
}

/* dir\bundle.json: the sample batch and runbooks signed with svc_test_priv,
 * with `identity_map` (taken; NULL: none) as the device's mapping. */
static inline void svc_test_write_signed_bundle(const wchar_t *dir, cJSON *identity_map)
{
	svc_test_write_payload(dir, svc_test_sample_payload(identity_map));
}

/* The policy's SigningPublicKey: svc_test_priv's public half. */
static inline void svc_test_set_signing_key(void)
{
	uint8_t pub[SIG_ED25519_PUBLIC_LEN];
	char *b64 = NULL;
	wchar_t w[128];

	assert_int_equal(sig_public_from_private(pub, svc_test_priv), FERRY_OK);
	assert_int_equal(ferry_base64_encode(&b64, pub, sizeof(pub)), FERRY_OK);
	swprintf(w, 128, L"%hs", b64);
	svc_test_set_sz(L"SOFTWARE\\Policies\\Ferry", L"SigningPublicKey", w);
	ferry_free(b64);
}

#endif
