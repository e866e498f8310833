/*
 * DIB section -> PNG file, through core/ux/png. The file is written beside
 * its final name under a new random name (wu_file_replace: CREATE_NEW) and
 * moved over it, so a reader (LogonUI reading the lock screen, an admin's
 * browser) never sees half a picture and nobody can pre-create the
 * temporary file.
 */
#include "draw_int.h"

#include <stdio.h>
#include <wchar.h>

#include "util/mem.h"
#include "ux/png.h"
#include "wu_file.h"

/* A PNG of an 8192 x 8192 picture of noise stays under this. */
#define PNG_FILE_MAX (256u * 1024u * 1024u)

ferry_err draw_png_encode(struct ferry_buf *out, HBITMAP bmp)
{
	const uint32_t *bits;
	struct png_image img = {0};
	int w, h;
	ferry_err rc = draw_dib_info(&bits, &w, &h, bmp);

	if (rc)
		return rc;
	img.width = (uint32_t)w;
	img.height = (uint32_t)h;
	img.stride = (size_t)w * 4;
	img.pixels = (const uint8_t *)bits;
	img.layout = PNG_BGRA;
	img.keep_alpha = false;
	return png_encode(out, &img);
}

ferry_err draw_png_write(const wchar_t *path, HBITMAP bmp)
{
	struct ferry_buf b;
	ferry_err rc;

	if (!path || !path[0] || wcslen(path) >= MAX_PATH)
		return ferry_error_set(FERRY_EINVAL, "PNG: no path, or longer than %d", MAX_PATH - 1);
	ferry_buf_init(&b, PNG_FILE_MAX);
	rc = draw_png_encode(&b, bmp);
	if (rc)
		goto out;
	/* A new randomly named temporary file (CREATE_NEW), never a
	 * pre-created migration.png.tmp or a link planted there. */
	rc = wu_file_replace(path, b.data, b.len);
out:
	ferry_buf_free(&b);
	return rc;
}
