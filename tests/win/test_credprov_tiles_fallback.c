/*
 * ferrycp.dll's helpdesk (fallback) tile through the LogonUI harness
 * (logonui_sim/tile_harness.h): it signs in HOST\ferry-helpdesk whatever is
 * typed, for logon and unlock, with the bytes LsaLogonUser expects.
 */
#include <windows.h>
#include <objbase.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include <stdbool.h>

#include <ntsecapi.h>

#include "cp_guids.h"
#include "cp_serialize.h"
#include "logonui_sim/sim_server.h"
#include "logonui_sim/tile_harness.h"
#include "ux/kerb_logon.h"

/* The Negotiate package's id as LogonUI's LsaLogonUser would use it; 0 and
 * the NTSTATUS in *st when this system cannot look it up (Wine). */
static ULONG negotiate_id(NTSTATUS *st)
{
	HANDLE lsa = NULL;
	LSA_STRING name;
	char pkg[] = "Negotiate";
	ULONG id = 0;

	*st = LsaConnectUntrusted(&lsa);
	if (*st != 0)
		return 0;
	name.Buffer = pkg;
	name.Length = (USHORT)strlen(pkg);
	name.MaximumLength = (USHORT)(name.Length + 1);
	*st = LsaLookupAuthenticationPackage(lsa, &name, &id);
	LsaDeregisterLogonProcess(lsa);
	return *st == 0 ? id : 0;
}

static void expect_packed(const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, ULONG package,
			  enum kerb_submit_type type)
{
	struct ferry_secret *pw = NULL, *want = NULL;
	char host8[64];

	assert_int_equal(cs->ulAuthenticationPackage, package);
	assert_true(IsEqualCLSID(&cs->clsidCredentialProvider, &CLSID_FerryProvider));
	assert_true(WideCharToMultiByte(CP_UTF8, 0, host, -1, host8, sizeof(host8), NULL, NULL) > 0);
	assert_int_equal(ferry_secret_from(&pw, "Helpdesk-Pw-1", 13), FERRY_OK);
	/* The computer name as the domain of a local account, as Microsoft's samples pass it. */
	assert_int_equal(kerb_logon_pack(&want, type, host8, "ferry-helpdesk", pw), FERRY_OK);
	assert_int_equal(cs->cbSerialization, want->len);
	assert_memory_equal(cs->rgbSerialization, want->data, want->len);
	ferry_secret_free(pw);
	ferry_secret_free(want);
}

/* The UNICODE_STRING at `off` of a KERB_INTERACTIVE_UNLOCK_LOGON, as text. */
static bool kerb_string_is(const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *cs, size_t off,
			   const wchar_t *want)
{
	const uint8_t *b = cs->rgbSerialization;
	uint16_t len = (uint16_t)(b[off] | b[off + 1] << 8);
	uint64_t at = 0;

	for (int i = 7; i >= 0; i--)
		at = at << 8 | b[off + 8 + (size_t)i];
	return at + len <= cs->cbSerialization && len == wcslen(want) * 2 &&
	       !memcmp(b + at, want, len);
}

/*
 * The fallback tile signs in HOST\ferry-helpdesk, the name the hint gave,
 * whatever is typed. Through COM where the Negotiate package exists (the
 * password is CredProtect'ed there, so the account is checked field by
 * field); under Wine, which has no Negotiate LSA package, the tile must
 * degrade (error status, no credential, retryable, password wiped) and the
 * bytes are checked through cp_fallback_serialize, which GetSerialization
 * hands them from.
 */
static void check_fallback(CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, enum kerb_submit_type type)
{
	ICredentialProvider *p = provider_for(cpus);
	ICredentialProviderCredential *c;
	CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION cs;
	NTSTATUS st = 0;
	ULONG package = negotiate_id(&st);
	struct submit s;

	assert_int_equal(tile_count(p), 1);
	c = tile_at(p, 0);
	assert_v1(c);
	assert_string(c, FID_ACCOUNT, helpdesk_label);
	assert_string(c, FID_TITLE, L"Service desk sign-in");
	assert_state(c, FID_PASSWORD, CPFS_DISPLAY_IN_SELECTED_TILE, CPFIS_FOCUSED);
	/* A label: typing CORP\alice changes nothing. */
	assert_int_equal(c->lpVtbl->SetStringValue(c, FID_ACCOUNT, L"CORP\\alice"), E_INVALIDARG);
	assert_string(c, FID_ACCOUNT, helpdesk_label);
	{
		void *k = NULL;

		/* Only the cache tile is connectable: the fallback logs on at once. */
		assert_int_equal(c->lpVtbl->QueryInterface(
					 c, &CP_IID_IConnectableCredentialProviderCredential, &k),
				 E_NOINTERFACE);
	}
	submit(c, L"Helpdesk-Pw-1", &s);
	assert_int_equal(s.hr, S_OK);
	if (st == 0) {
		assert_int_equal(s.resp, CPGSR_RETURN_CREDENTIAL_FINISHED);
		assert_int_equal(s.cs.ulAuthenticationPackage, package);
		assert_true(kerb_string_is(&s.cs, 8, host));
		assert_true(kerb_string_is(&s.cs, 24, L"ferry-helpdesk"));
	} else {
		print_message("LsaLookupAuthenticationPackage(Negotiate) = 0x%08lx here (Wine has "
			      "no Negotiate LSA package): checking the degraded tile, and the "
			      "bytes through cp_fallback_serialize\n",
			      (unsigned long)st);
		assert_int_equal(s.resp, CPGSR_NO_CREDENTIAL_NOT_FINISHED);
		assert_int_equal(s.icon, CPSI_ERROR);
		assert_non_null(s.status);
		assert_int_equal(s.cs.cbSerialization, 0);
		assert_null(s.cs.rgbSerialization);
		package = 0x4e45474f; /* any id: it is carried, not interpreted */
	}
	assert_string(c, FID_PASSWORD, L"");
	submit_free(&s);
	assert_int_equal(cp_fallback_serialize(&cs, package, cpus, host, L"ferry-helpdesk",
					       L"Helpdesk-Pw-1"),
			 S_OK);
	expect_packed(&cs, package, type);
	CoTaskMemFree(cs.rgbSerialization);
	assert_int_equal(cp_fallback_serialize(&cs, package, cpus, L"CORP", L"CORP\\alice", L"x"),
			 E_INVALIDARG);
	assert_null(cs.rgbSerialization);
	c->lpVtbl->Release(c);
	release_provider(p);
}

static void test_credprov_tiles__fallback_serialization(void **state)
{
	struct ipc_experience e = experience(IPC_SCREEN_NONE, "", "", "", 0, "");
	struct sim_server *srv = sim_server_start(pipe_name, &e);

	(void)state;
	reg_set_sz(STATE_KEY, L"FallbackAccount", L"ferry-helpdesk");
	check_fallback(CPUS_LOGON, KERB_SUBMIT_INTERACTIVE);
	check_fallback(CPUS_UNLOCK_WORKSTATION, KERB_SUBMIT_WORKSTATION_UNLOCK);
	sim_server_stop(srv);
}


int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		TILES_TEST(test_credprov_tiles__fallback_serialization),
	};
	return cmocka_run_group_tests_name("credprov_tiles_fallback", tests, tiles_group_setup,
					   tiles_group_teardown);
}
