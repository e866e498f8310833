/*
 * KERB_INTERACTIVE_UNLOCK_LOGON packing for the fallback (helpdesk) tile.
 *
 * The credential provider's GetSerialization hands LogonUI a buffer that
 * LogonUI passes to LsaLogonUser through the Negotiate package. The buffer
 * is the x64 structure in its self-relative ("packed") form: each
 * UNICODE_STRING's Buffer holds the offset of its characters from the start
 * of the buffer, and the characters follow the structure. The layout is
 * drawn byte by byte at the top of kerb_logon.c and in docs/credprov.md.
 *
 * Portable: the bytes are built with put_u*le, never by casting a struct,
 * so the same code and tests run natively and on Windows.
 */
#ifndef FERRY_UX_KERB_LOGON_H
#define FERRY_UX_KERB_LOGON_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/mem.h"

/* KERB_LOGON_SUBMIT_TYPE values (ntsecapi.h); an ABI, never renumber. */
enum kerb_submit_type {
	KERB_SUBMIT_INTERACTIVE = 2,        /* KerbInteractiveLogon: CPUS_LOGON */
	KERB_SUBMIT_WORKSTATION_UNLOCK = 7, /* KerbWorkstationUnlockLogon: CPUS_UNLOCK_WORKSTATION */
};

/* Sizes of the x64 structures (ABI facts, see kerb_logon.c). */
#define KERB_UNICODE_STRING_SIZE 16u
#define KERB_INTERACTIVE_LOGON_SIZE 56u
#define KERB_UNLOCK_LOGON_SIZE 64u

/* A UNICODE_STRING's Length is a USHORT of bytes: at most 32767 UTF-16 units. */
#define KERB_STRING_MAX_UNITS 32767u

/**
 * Pack a KERB_INTERACTIVE_UNLOCK_LOGON (x64, self-relative) for a local
 * account. domain ("." or the computer name) and user are UTF-8 and must be
 * non-empty; password holds UTF-8 bytes and may be empty. LogonId is zero.
 *
 * On success *out is a new secret (it contains the password) that the
 * caller frees with ferry_secret_free. On failure *out is NULL and the
 * detail names the field, never its content: FERRY_EINVAL for a bad type or
 * an empty name, FERRY_ECORRUPT for invalid UTF-8, FERRY_ERANGE for a string
 * longer than a UNICODE_STRING can hold, FERRY_ENOMEM.
 */
ferry_err kerb_logon_pack(struct ferry_secret **out, enum kerb_submit_type type,
			  const char *domain, const char *user,
			  const struct ferry_secret *password);

#endif
