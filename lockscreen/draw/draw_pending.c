/* Placeholders until ferrydraw lands (the credential-provider issue, #7). */
#include "draw/draw.h"

ferry_err draw_tile_image(HBITMAP *out, const wchar_t *logo_path, const char *qr_url)
{
	(void)logo_path;
	(void)qr_url;
	*out = NULL;
	return ferry_error_set(FERRY_ENOTIMPL, "draw_tile_image: not implemented yet (#7)");
}

ferry_err draw_png_write(const wchar_t *path, HBITMAP bmp)
{
	(void)path;
	(void)bmp;
	return ferry_error_set(FERRY_ENOTIMPL, "draw_png_write: not implemented yet (#7)");
}

ferry_err draw_lockscreen_image(const wchar_t *out_path, const wchar_t *in_image,
				const char *caption)
{
	(void)out_path;
	(void)in_image;
	(void)caption;
	return ferry_error_set(FERRY_ENOTIMPL, "draw_lockscreen_image: not implemented yet (#7)");
}
