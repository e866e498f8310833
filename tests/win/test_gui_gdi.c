/*
 * GDI under Wine with a real X server (xvfb-run): a top-level window can be
 * created and shown, and text drawn into a 32-bit DIB section changes its
 * pixels. The preview tool and the tiles render this way.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define W 320
#define H 80

static void test_gdi__window_can_be_created_and_shown(void **state)
{
	HWND hwnd;
	RECT rc;

	(void)state;
	hwnd = CreateWindowExW(0, L"STATIC", L"Ferry GDI test", WS_OVERLAPPEDWINDOW, 10, 10, W, H,
			       NULL, NULL, GetModuleHandleW(NULL), NULL);
	assert_non_null(hwnd);
	ShowWindow(hwnd, SW_SHOWNORMAL);
	assert_true(UpdateWindow(hwnd));
	assert_true(GetClientRect(hwnd, &rc));
	assert_true(rc.right > 0 && rc.bottom > 0);
	assert_true(DestroyWindow(hwnd));
}

static void test_gdi__text_changes_dib_pixels(void **state)
{
	BITMAPINFO bi = { 0 };
	uint32_t *px = NULL;
	HDC dc = CreateCompatibleDC(NULL);
	HBITMAP bmp;
	HGDIOBJ old;
	RECT all = { 0, 0, W, H };
	size_t dark = 0;

	(void)state;
	assert_non_null(dc);
	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = W;
	bi.bmiHeader.biHeight = -H; /* top-down */
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	bmp = CreateDIBSection(dc, &bi, DIB_RGB_COLORS, (void **)&px, NULL, 0);
	assert_non_null(bmp);
	old = SelectObject(dc, bmp);
	FillRect(dc, &all, (HBRUSH)GetStockObject(WHITE_BRUSH));
	SetTextColor(dc, RGB(0, 0, 0));
	SetBkMode(dc, TRANSPARENT);
	assert_true(DrawTextW(dc, L"Migration in progress", -1, &all,
			      DT_CENTER | DT_VCENTER | DT_SINGLELINE) > 0);
	GdiFlush();
	for (size_t i = 0; i < (size_t)W * H; i++)
		dark += (px[i] & 0xffffff) != 0xffffff;
	/* Text covers some pixels, but nowhere near all of them. */
	assert_true(dark > 50);
	assert_true(dark < (size_t)W * H / 2);
	SelectObject(dc, old);
	DeleteObject(bmp);
	DeleteDC(dc);
}

int wmain(void);

int wmain(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gdi__window_can_be_created_and_shown),
		cmocka_unit_test(test_gdi__text_changes_dib_pixels),
	};
	return cmocka_run_group_tests_name("gui_gdi", tests, NULL, NULL);
}
