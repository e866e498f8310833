/*
 * The sealed ODJ blob from BundleDir (issue 17 §4), for sites without a
 * migration server (docs/net.md, "ODJ blobs from BundleDir").
 *
 *   <BundleDir>/odj/<DEVICE>.sealed
 *       seal_box(to: the PC's X25519 public key, aad: DEVICE, djoin's text
 *       form), made by the admin with `ferry seal box`. The PC publishes its
 *       public key itself (ferrysvc writes <state>\net\agent.pub and an
 *       Event Log line); its private key never leaves the PC's key store.
 *   bundle.json's /odj_sealed
 *       [{"device": DEVICE, "sha256": "<hex SHA-256 of the .sealed file>"}]
 *       in the admin-signed payload: the binding.
 *
 * Invariants:
 *   1. A .sealed file is used only when the signed bundle in force names
 *      its SHA-256 for this device: whoever can write BundleDir cannot plant
 *      a blob (nor swap one device's for another's).
 *   2. Then the same validation as the server's blob: it opens with this
 *      agent's key for this device, decodes, and is for this machine and
 *      the runbook's target domain (net_agent_odj_open).
 *   3. Device names are computer names (rb_check_computer_name), so
 *      <DEVICE>.sealed is a plain file name.
 */
#ifndef FERRY_NET_ODJ_DIR_H
#define FERRY_NET_ODJ_DIR_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "net/agent.h"

#define NET_ODJ_SEALED_MAX 10000u /* entries in /odj_sealed */

/**
 * Check a bundle's /odj_sealed: an array of at most NET_ODJ_SEALED_MAX
 * {"device","sha256"} objects, devices computer names and unique (without
 * case), digests 64 hex digits. FERRY_ECORRUPT naming `what` and the index.
 */
ferry_err net_odj_sealed_check(const cJSON *list, const char *what);

/**
 * The digest a checked /odj_sealed names for `device` (without case).
 * FERRY_ENOTFOUND when the list (may be NULL) names none.
 */
ferry_err net_odj_sealed_digest(uint8_t out[32], const cJSON *list, const char *device);

/**
 * Read <bundle_dir>/odj/<machine>.sealed, check its SHA-256 is `want`
 * (FERRY_EAUTH otherwise: planted or replaced), then open and validate it
 * for this machine and `domain` (net_agent_odj_open). *sealed (ferry_free)
 * receives the file's bytes. FERRY_ENOTFOUND when the file is missing.
 */
ferry_err net_agent_odj_dir(struct net_agent *a, const uint8_t want[32], const char *bundle_dir,
			    const char *domain, uint8_t **sealed, size_t *len);

/**
 * This PC's X25519 public key (made and stored on first use), the one
 * the admin seals BundleDir blobs to.
 */
ferry_err net_agent_public_key(struct net_agent *a, uint8_t pub[SEAL_KEY_LEN]);

#endif
