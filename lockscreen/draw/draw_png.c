/*
 * DIB section -> PNG file, through core/ux/png. The file is written beside
 * its final name and moved over it, so a reader (LogonUI reading the lock
 * screen, an admin's browser) never sees half a picture.
 */
#include "draw_int.h"

/* Error details name the path in UTF-8; one buffer per thread is enough
 * because each detail is formatted before the next call. */
static _Thread_local char u8buf[DRAW_U8_MAX];
#define U8(w) draw_u8(u8buf, sizeof u8buf, (w))

#include <stdio.h>
#include <wchar.h>

#include "util/mem.h"
#include "ux/png.h"

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

static ferry_err write_all(const wchar_t *path, const uint8_t *p, size_t n)
{
	HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	ferry_err rc = FERRY_OK;

	if (h == INVALID_HANDLE_VALUE)
		return ferry_error_set(FERRY_EIO, "CreateFileW %s failed (Win32 error %lu)", U8(path),
				       (unsigned long)GetLastError());
	while (n && !rc) {
		DWORD chunk = n > (1u << 30) ? (1u << 30) : (DWORD)n, done = 0;

		if (!WriteFile(h, p, chunk, &done, NULL) || !done)
			rc = ferry_error_set(FERRY_EIO, "WriteFile %s failed (Win32 error %lu)", U8(path),
					     (unsigned long)GetLastError());
		p += done;
		n -= done;
	}
	if (!rc && !FlushFileBuffers(h))
		rc = ferry_error_set(FERRY_EIO, "FlushFileBuffers %s failed (Win32 error %lu)", U8(path),
				     (unsigned long)GetLastError());
	if (!CloseHandle(h) && !rc)
		rc = ferry_error_set(FERRY_EIO, "CloseHandle %s failed", U8(path));
	return rc;
}

ferry_err draw_png_write(const wchar_t *path, HBITMAP bmp)
{
	struct ferry_buf b;
	wchar_t tmp[MAX_PATH + 16];
	ferry_err rc;

	if (!path || !path[0] || wcslen(path) >= MAX_PATH)
		return ferry_error_set(FERRY_EINVAL, "PNG: no path, or longer than %d", MAX_PATH - 1);
	ferry_buf_init(&b, PNG_FILE_MAX);
	rc = draw_png_encode(&b, bmp);
	if (rc)
		goto out;
	wcscpy(tmp, path); /* fits: checked against MAX_PATH above */
	wcscat(tmp, L".tmp");
	rc = write_all(tmp, b.data, b.len);
	if (!rc && !MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		rc = ferry_error_set(FERRY_EIO, "MoveFileExW %s failed (Win32 error %lu)", U8(path),
				     (unsigned long)GetLastError());
	if (rc)
		DeleteFileW(tmp);
out:
	ferry_buf_free(&b);
	return rc;
}
