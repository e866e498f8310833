/* Internal helpers shared by the ODJ codec's files. */
#ifndef FERRY_ODJ_INTERNAL_H
#define FERRY_ODJ_INTERNAL_H

#include "odj/odj.h"

/* The one detail every ODJ allocation failure sets, so that a chain of
 * `a() || b()` calls can tell ENOMEM from ECORRUPT afterwards (odj_rc). */
#define ODJ_OOM_DETAIL "ODJ: out of memory"

/** Set ODJ_OOM_DETAIL and return FERRY_ENOMEM. */
ferry_err odj_oom(void);

/** After a failed chain: FERRY_ENOMEM if the detail is ODJ_OOM_DETAIL, else FERRY_ECORRUPT. */
ferry_err odj_rc(void);

/** Copy n bytes into b (n may be 0: an empty but present array). */
ferry_err odj_bytes_set(struct odj_bytes *b, const uint8_t *data, size_t n);
void odj_bytes_clear(struct odj_bytes *b);

void odj_win7_free(struct odj_win7 *w);
void odj_prov2_free(struct odj_prov2 *p);
void odj_prov3_free(struct odj_prov3 *p);

#endif
