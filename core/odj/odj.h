/*
 * The Offline Domain Join (ODJ) provisioning blob: its text form, its binary
 * form (MS-RPCE type serialisation v1 of ODJ_PROVISION_DATA), validation
 * against the machine and domain we expect, and a redacted JSON view.
 * The byte layout is drawn at the top of odj_decode.c.
 *
 * Ownership: odj_decode and odj_provision_from_json hand out a
 * struct odj_provision that the caller frees with odj_provision_free
 * (NULL-safe). The machine password lives only in a struct ferry_secret and
 * is never part of any text this module produces.
 */
#ifndef FERRY_ODJ_ODJ_H
#define FERRY_ODJ_ODJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/err.h"
#include "util/mem.h"

/* Hard limits that bound what a hostile blob can make us allocate. */
#define ODJ_MAX_BLOB_BYTES (4u * 1024u * 1024u)
#define ODJ_MAX_BLOBS 64u
#define ODJ_MAX_PARTS 64u
#define ODJ_MAX_SUB_AUTHS 15u

enum odj_format {
	ODJ_FORMAT_WIN7 = 1, /* the blob is a serialised ODJ_WIN7BLOB */
	ODJ_FORMAT_WIN8 = 2, /* the blob is a serialised OP_PACKAGE */
};

enum odj_part_type {
	ODJ_PART_UNKNOWN = 0,
	ODJ_PART_JOIN_PROVIDER, /* ODJ_WIN7BLOB */
	ODJ_PART_PROVIDER2,     /* OP_JOINPROV2_PART */
	ODJ_PART_PROVIDER3,     /* OP_JOINPROV3_PART */
	ODJ_PART_CERT,          /* OP_CERT_PART, kept opaque */
	ODJ_PART_POLICY,        /* OP_POLICY_PART, kept opaque */
};

#define ODJ_PART_FLAG_ESSENTIAL 0x1u

/* A GUID as its 16 wire bytes (Data1..3 little-endian, Data4 as is). */
struct odj_guid {
	uint8_t b[16];
};

struct odj_sid {
	uint8_t revision;
	uint8_t num_auths; /* <= ODJ_MAX_SUB_AUTHS */
	uint8_t id_auth[6];
	uint32_t sub_auths[ODJ_MAX_SUB_AUTHS];
};

/* An opaque byte string (OP_BLOB contents, unknown parts). NULL data = absent. */
struct odj_bytes {
	uint8_t *data;
	size_t len;
};

/* netr_DsRGetDCNameInfo / DOMAIN_CONTROLLER_INFOW. NULL strings = null pointers. */
struct odj_dc_info {
	char *name;    /* as stored, with its leading "\\" */
	char *address; /* as stored, with its leading "\\" */
	uint32_t address_type;
	struct odj_guid domain_guid;
	char *domain_name;
	char *forest_name;
	uint32_t flags;
	char *site;
	char *client_site;
};

/* ODJ_WIN7BLOB. Strings are UTF-8; NULL means a null pointer in the blob. */
struct odj_win7 {
	char *domain;
	char *machine_name;
	/* UTF-16LE code units as stored, without the terminating NUL; NULL if absent. */
	struct ferry_secret *machine_password;
	/* The 4 bytes after the password pointer; Windows needs them non-zero. */
	uint32_t reserved;
	char *netbios_name;   /* DnsDomainInfo.Name */
	char *dns_name;       /* DnsDomainInfo.DnsDomainName */
	char *forest_name;    /* DnsDomainInfo.DnsForestName */
	struct odj_guid domain_guid;
	bool has_sid;
	struct odj_sid sid;
	struct odj_dc_info dc;
	uint32_t options;
};

/* OP_JOINPROV2_PART. */
struct odj_prov2 {
	uint32_t flags;
	char *netbios_name;
	char *site;
	char *primary_dns_domain;
	uint32_t reserved;
	char *reserved_str;
};

/* OP_JOINPROV3_PART. */
struct odj_prov3 {
	uint32_t rid;
	char *sid;
};

/* OP_PACKAGE_PART. The decoded member matching `type` is set; `raw` always
 * holds the part's bytes as they were in the blob (encode writes it back for
 * cert, policy and unknown parts). */
struct odj_part {
	enum odj_part_type type;
	struct odj_guid guid;
	uint32_t flags;
	struct odj_bytes raw;
	struct odj_bytes extension;
	struct odj_win7 *win7;
	struct odj_prov2 *prov2;
	struct odj_prov3 *prov3;
};

struct odj_blob {
	uint32_t format; /* enum odj_format, or another value kept opaque in raw */
	size_t size;     /* cbBlob as read; 0 for composed blobs */
	struct odj_bytes raw; /* unknown formats only */
	struct odj_win7 *win7; /* ODJ_FORMAT_WIN7 */
	/* ODJ_FORMAT_WIN8: OP_PACKAGE */
	struct odj_guid encryption_type;
	struct odj_bytes encryption_context;
	uint32_t cb_decrypted;
	struct odj_bytes package_extension;
	struct odj_part *parts;
	size_t nparts;
	struct odj_bytes collection_extension;
};

struct odj_provision {
	uint32_t version; /* always 1 */
	struct odj_blob *blobs;
	size_t nblobs;
};

/* --- text form (odj_text.c) --- */

/**
 * Text form -> binary form. Accepts UTF-16LE with or without a BOM (as
 * djoin /savefile writes it) or 8-bit text, with a trailing NUL, CR/LF or
 * whitespace. *out is a secret (the blob holds the machine password).
 * FERRY_ECORRUPT naming the offset on bad text.
 */
ferry_err odj_text_decode(struct ferry_secret **out, const uint8_t *text, size_t len);

/**
 * Binary form -> text form as djoin writes it: UTF-16LE with a BOM and a
 * trailing NUL. *out is a secret.
 */
ferry_err odj_text_encode(struct ferry_secret **out, const uint8_t *bin, size_t len);

/* --- binary form (odj_decode.c, odj_encode.c) --- */

/** Decode the binary form. FERRY_ECORRUPT (with the byte offset) on bad input. */
ferry_err odj_decode(struct odj_provision **out, const uint8_t *buf, size_t len);

/** Encode to the binary form; *out is a secret holding the bytes. */
ferry_err odj_encode(struct ferry_secret **out, const struct odj_provision *p);

/** Free a provision and wipe its password; NULL-safe. */
void odj_provision_free(struct odj_provision *p);

/* --- queries and validation (odj_validate.c) --- */

/** The GUID's part type; ODJ_PART_UNKNOWN for any other GUID. */
enum odj_part_type odj_part_type_of(const struct odj_guid *g);

/** Canonical GUID of a known part type (NULL for ODJ_PART_UNKNOWN). */
const struct odj_guid *odj_part_guid(enum odj_part_type t);

/** Lower-case "xxxxxxxx-xxxx-..." text of a GUID into a 37-byte buffer. */
void odj_guid_format(char out[37], const struct odj_guid *g);

/** Parse GUID text (braces optional). FERRY_EINVAL if malformed. */
ferry_err odj_guid_parse(struct odj_guid *out, const char *s);

/** "S-1-5-21-..." text of a SID into out (at least 192 bytes). */
void odj_sid_format(char *out, size_t outlen, const struct odj_sid *s);

/** The join data: the WIN7 blob if present, else the join-provider part; borrowed. */
const struct odj_win7 *odj_provision_win7(const struct odj_provision *p);

/** The provider2 / provider3 parts of the first WIN8 blob; borrowed, NULL if none. */
const struct odj_prov2 *odj_provision_prov2(const struct odj_provision *p);
const struct odj_prov3 *odj_provision_prov3(const struct odj_provision *p);

/**
 * Check the blob is for expected_domain (DNS or NetBIOS name,
 * case-insensitive) and, when expected_machine is not NULL, for that
 * machine (case-insensitive, comparing the first 15 characters when
 * either name is longer, as NetBIOS does). Also that a non-empty password
 * is present and that every ODJ_WIN7BLOB in the provision agrees.
 * FERRY_EMISMATCH with a detail naming the field; FERRY_ECORRUPT if the
 * provision has no join data at all.
 */
ferry_err odj_validate(const struct odj_provision *p, const char *expected_domain,
		       const char *expected_machine);

/*
 * What NetRequestOfflineDomainJoin's status means for the migration. It
 * returns NERR_Success (0) when the join is staged, and may return
 * NERR_JoinPerformedMustRestart (2713, lmerr.h: "the join operation
 * succeeded; a restart is required", Microsoft Learn, "Network Management
 * Error Codes") when the join is done and only the reboot is left: the
 * engine's next step is that reboot, so both are success. Anything else
 * is a failure.
 */
#define ODJ_NERR_JOIN_PERFORMED_MUST_RESTART 2713u

enum odj_join_result { ODJ_JOIN_DONE, ODJ_JOIN_DONE_RESTART, ODJ_JOIN_FAILED };

/** The meaning of NetRequestOfflineDomainJoin's return value (see above). */
enum odj_join_result odj_join_result_of(uint32_t status);

/* --- JSON (odj_json.c) --- */

/** The redacted inspect view (see docs/odj.md); the caller cJSON_Deletes it. */
ferry_err odj_provision_to_json(cJSON **out, const struct odj_provision *p);

/** Build a provision from a compose spec (see docs/odj.md). FERRY_EINVAL naming the key. */
ferry_err odj_provision_from_json(struct odj_provision **out, const cJSON *spec);

#endif
