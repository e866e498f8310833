/*
 * The sealed-blob parser: any bytes through seal_open with a fixed key and
 * agent id. Without the sender's cooperation nothing may open, so every
 * input must be refused cleanly (no crash, no plaintext returned).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "net/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t priv[32] = { 0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d,
					  0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
					  0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
					  0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a };
	struct ferry_secret *pt = NULL;

	if (seal_open(&pt, priv, "agent", data, size) == FERRY_OK)
		abort(); /* a forged tag would have to be guessed */
	if (pt)
		abort();
	return 0;
}
