/*
 * The agent's settings, with Group Policy over the MSI: each setting is
 * read first from HKLM\SOFTWARE\Policies\Ferry (installer/policy/ferry.admx)
 * and, when the policy does not set it, from HKLM\SOFTWARE\Ferry (the MSI's
 * public properties). An empty string counts as "not set". The service reads
 * them once at start through win_config_load.
 *
 *   setting              value name        MSI property         type
 *   server URL           ServerUrl         SERVER_URL           REG_SZ
 *   server pin           ServerPinSha256   SERVER_PIN_SHA256    REG_SZ
 *   signing public key   SigningPublicKey  SIGNING_PUBLIC_KEY   REG_SZ
 *   bundle folder        BundleDir         BUNDLE_DIR           REG_SZ / REG_EXPAND_SZ
 *   enrolment key        EnrollKey         ENROLL_KEY           REG_SZ (a secret: wiped
 *                                                               on free, never logged)
 *   rehearsal mode       Rehearse          REHEARSE             REG_DWORD (policy) or
 *                                                               REG_SZ "0"/"1" (MSI)
 */
#ifndef FERRY_SVC_WIN_CONFIG_H
#define FERRY_SVC_WIN_CONFIG_H

#include <wchar.h>

#include "util/err.h"

#define WIN_CONFIG_POLICY_KEY L"SOFTWARE\\Policies\\Ferry"
#define WIN_CONFIG_MSI_KEY L"SOFTWARE\\Ferry"

enum win_config_source {
	WIN_CONFIG_UNSET = 0,
	WIN_CONFIG_FROM_MSI,
	WIN_CONFIG_FROM_POLICY,
};

enum win_config_field {
	WIN_CONFIG_SERVER_URL,
	WIN_CONFIG_SERVER_PIN_SHA256,
	WIN_CONFIG_SIGNING_PUBLIC_KEY,
	WIN_CONFIG_BUNDLE_DIR,
	WIN_CONFIG_ENROLL_KEY,
	WIN_CONFIG_REHEARSE, /* last: the string settings come before it */
	WIN_CONFIG_FIELDS
};

struct win_config {
	char *server_url;         /* UTF-8; NULL = not set */
	char *server_pin_sha256;
	char *signing_public_key;
	char *bundle_dir;         /* REG_EXPAND_SZ already expanded */
	char *enroll_key;         /* the server's enrolment key; wiped by win_config_free */
	int rehearse;             /* 0 or 1; 0 when not set */
	enum win_config_source source[WIN_CONFIG_FIELDS]; /* where each came from */
};

/**
 * Read the settings (policy first, then MSI). The caller frees *out with
 * win_config_free. A value of the wrong type, or one that is not valid
 * UTF-16, fails with FERRY_ECORRUPT naming the key and value: a broken
 * policy is refused rather than silently replaced by the MSI's value.
 */
ferry_err win_config_load(struct win_config **out);

/** The same with other keys under HKLM (tests). */
ferry_err win_config_load_from(struct win_config **out, const wchar_t *policy_key,
			       const wchar_t *msi_key);

/** The registry value name of a field ("ServerUrl"); NULL when out of range. */
const wchar_t *win_config_value_name(enum win_config_field f);

void win_config_free(struct win_config *c);

#endif
