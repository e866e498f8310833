/*
 * SDDL (Security Descriptor Definition Language), for tests, logs and the
 * command line:  O:<sid>G:<sid>D:<flags>(<ace>)...S:<flags>(<ace>)...
 * with ace = type;flags;rights;object_guid;inherit_object_guid;sid
 *
 * Covered: SID aliases that name the same SID everywhere (SY, BA, BU, AU,
 * WD, CO, CG, LS, NS, integrity levels, ...); access-right aliases for
 * generic, standard, file, registry, directory-service and mandatory-label
 * rights; hex masks; ACE flags; object GUIDs; the ACL flags P, AI, AR and
 * NO_ACCESS_CONTROL.
 *
 * Not covered, and reported as FERRY_EUNSUPPORTED rather than guessed:
 * domain-relative aliases (DA, DU, LA, ...: they need a domain SID), the
 * conditional expressions and claims of callback and resource-attribute
 * ACEs (a 7th field, or application data when formatting), and ACE types
 * that have no SDDL name. Callers that log SDs fall back to hex.
 *
 * Control bits that SDDL cannot show (the *_DEFAULTED bits, SE_DACL_TRUSTED,
 * SE_SERVER_SECURITY, SE_RM_CONTROL_VALID) are dropped by sddl_format, so
 * sddl_format(sddl_parse(x)) == x holds for text, not for arbitrary bytes.
 * Formatting is canonical: aliases in a fixed order, hex in lowercase.
 */
#ifndef FERRY_SEC_SDDL_H
#define FERRY_SEC_SDDL_H

#include <stddef.h>
#include <stdint.h>

#include "sec/sd.h"
#include "util/buf.h"
#include "util/err.h"

/* Longest SDDL text accepted. */
#define SDDL_MAX_LEN (1u << 20)

/**
 * Parse len characters of SDDL into a new self-relative SD of *out_len
 * bytes; the caller frees *out with ferry_free. Errors name the character
 * offset.
 */
ferry_err sddl_parse(uint8_t **out, size_t *out_len, const char *s, size_t len);

/** Parse into a decoded tree; free it with sd_doc_free. */
ferry_err sddl_parse_doc(struct sd_doc **out, const char *s, size_t len);

/** Format a self-relative SD as a new NUL-terminated string (ferry_free it). */
ferry_err sddl_format(char **out, const uint8_t *sd, size_t len);

/** Append the SDDL text of a decoded tree to b. */
ferry_err sddl_format_doc(struct ferry_buf *b, const struct sd_doc *doc);

#endif
