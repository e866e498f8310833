/*
 * `ferry agent package --state DIR --id ID --out FILE`: what the service's
 * stager does before a package step, up to the file writes
 * (service/win/package_stage.c): the accepted bundle's /packages entry for
 * ID, GET /v1/agents/{id}/packages/{ID} capped at the signed size
 * (net_agent_package), the size and SHA-256 against the entry, then the
 * archive parsed and verified with the signing key (signature, id, every
 * file). Only then is FILE written. Tests drive the real client and
 * ferry-server with it (tests/e2e/package_fetch.py).
 */
#include <stdio.h>

#include "cli.h"
#include "cli_keys.h"
#include "net/bundle.h"
#include "net/package_archive.h"
#include "net/package_fetch.h"
#include "util/hex.h"
#include "util/mem.h"

ferry_err cli_agent_package(struct net_agent *a, const char *id, const char *out)
{
	struct bundle *b = NULL;
	struct package_ref ref;
	struct package_archive *arch = NULL;
	struct package *p = NULL;
	uint8_t *blob = NULL;
	size_t len = 0;
	char hex[65];
	ferry_err rc = net_agent_load_bundle(a, &b);

	if (!rc)
		rc = package_ref_find(&ref, cJSON_GetObjectItemCaseSensitive(b->payload, "packages"),
				      id, "bundle");
	if (!rc)
		rc = net_agent_package(a, id, ref.size, &blob, &len);
	if (!rc)
		rc = bundle_check_package(b, id, blob, len);
	if (!rc)
		rc = package_archive_parse(&arch, blob, len);
	if (!rc)
		rc = package_archive_verify(&p, arch, a->signing_pub, id);
	if (!rc)
		rc = cli_write_file_atomic(out, blob, len);
	if (!rc) {
		ferry_hex_encode(hex, ref.sha256, 32);
		printf("ok: package %s, %zu bytes, sha256 %s, %zu file(s), command: %s\n", id, len,
		       hex, p->nfiles, p->command);
	}
	package_free(p);
	package_archive_free(arch);
	ferry_free(blob);
	bundle_free(b);
	return rc;
}
