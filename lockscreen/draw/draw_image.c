/*
 * Picture files through WIC (windowscodecs): PNG, JPEG, BMP, GIF, TIFF,
 * ICO, whatever the system decodes. A logo or lock-screen image comes from
 * an admin's runbook, so every step is checked and a bad file is an error
 * with its reason, never a crash: its size is capped before decoding, and
 * WIC's own decoders do the parsing.
 */
#define COBJMACROS
#include "draw_int.h"

/* Error details name the path in UTF-8; one buffer per thread is enough
 * because each detail is formatted before the next call. */
static _Thread_local char u8buf[DRAW_U8_MAX];
#define U8(w) draw_u8(u8buf, sizeof u8buf, (w))

#include <wincodec.h>

#include <stdio.h>

static ferry_err hr_err(ferry_err kind, const char *what, HRESULT hr)
{
	return ferry_error_set(kind, "picture: %s failed (HRESULT 0x%08lx)", what, (unsigned long)hr);
}

/* The file must exist and be at most DRAW_FILE_MAX bytes. */
static ferry_err check_file(const wchar_t *path)
{
	WIN32_FILE_ATTRIBUTE_DATA fa;
	DWORD e;

	if (!GetFileAttributesExW(path, GetFileExInfoStandard, &fa)) {
		e = GetLastError();
		if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
			return ferry_error_set(FERRY_ENOTFOUND, "picture: file not found (%s)", U8(path));
		return ferry_error_set(FERRY_EIO, "picture: cannot read %s (Win32 error %lu)", U8(path),
				       (unsigned long)e);
	}
	if (fa.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
		return ferry_error_set(FERRY_EINVAL, "picture: %s is a folder", U8(path));
	if (fa.nFileSizeHigh || fa.nFileSizeLow > DRAW_FILE_MAX)
		return ferry_error_set(FERRY_ERANGE, "picture: %s is over %u bytes", U8(path),
				       DRAW_FILE_MAX);
	return FERRY_OK;
}

/* Fit (w, h) into (max_w, max_h), never enlarging; at least 1x1. */
static void fit(UINT w, UINT h, int max_w, int max_h, int *ow, int *oh)
{
	double s = 1.0;

	if ((double)w * s > max_w)
		s = (double)max_w / w;
	if ((double)h * s > max_h)
		s = (double)max_h / h;
	*ow = (int)(w * s + 0.5);
	*oh = (int)(h * s + 0.5);
	if (*ow < 1)
		*ow = 1;
	if (*oh < 1)
		*oh = 1;
}

/* Decode with WIC into dst (ow x oh, premultiplied BGRA). COM is up. */
static ferry_err decode(const wchar_t *path, int max_w, int max_h, HBITMAP *out, uint32_t **bits,
			int *ow, int *oh)
{
	IWICImagingFactory *f = NULL;
	IWICBitmapDecoder *dec = NULL;
	IWICBitmapFrameDecode *frame = NULL;
	IWICBitmapSource *conv = NULL;
	IWICBitmapScaler *scaler = NULL;
	UINT w = 0, h = 0;
	HRESULT hr;
	ferry_err rc = FERRY_OK;

	hr = CoCreateInstance(&CLSID_WICImagingFactory, NULL, CLSCTX_INPROC_SERVER,
			      &IID_IWICImagingFactory, (void **)&f);
	if (FAILED(hr)) {
		rc = hr_err(FERRY_ESYSTEM, "CoCreateInstance(WICImagingFactory)", hr);
		goto out;
	}
	hr = IWICImagingFactory_CreateDecoderFromFilename(f, path, NULL, GENERIC_READ,
							  WICDecodeMetadataCacheOnDemand, &dec);
	if (SUCCEEDED(hr))
		hr = IWICBitmapDecoder_GetFrame(dec, 0, &frame);
	if (SUCCEEDED(hr))
		hr = IWICBitmapFrameDecode_GetSize(frame, &w, &h);
	if (FAILED(hr)) {
		rc = ferry_error_set(FERRY_ECORRUPT,
				     "picture: %s is not an image this system decodes (HRESULT 0x%08lx)",
				     U8(path), (unsigned long)hr);
		goto out;
	}
	if (!w || !h || w > DRAW_SIDE_MAX || h > DRAW_SIDE_MAX) {
		rc = ferry_error_set(FERRY_ERANGE, "picture: %s is %ux%u, over %dx%d", U8(path), w, h,
				     DRAW_SIDE_MAX, DRAW_SIDE_MAX);
		goto out;
	}
	fit(w, h, max_w, max_h, ow, oh);
	hr = WICConvertBitmapSource(&GUID_WICPixelFormat32bppPBGRA, (IWICBitmapSource *)frame, &conv);
	if (SUCCEEDED(hr))
		hr = IWICImagingFactory_CreateBitmapScaler(f, &scaler);
	if (SUCCEEDED(hr))
		hr = IWICBitmapScaler_Initialize(scaler, conv, (UINT)*ow, (UINT)*oh,
						 WICBitmapInterpolationModeFant);
	if (FAILED(hr)) {
		rc = ferry_error_set(FERRY_ECORRUPT, "picture: %s cannot be converted (HRESULT 0x%08lx)",
				     U8(path), (unsigned long)hr);
		goto out;
	}
	rc = draw_dib_new(out, bits, *ow, *oh);
	if (rc)
		goto out;
	hr = IWICBitmapScaler_CopyPixels(scaler, NULL, (UINT)*ow * 4, (UINT)*ow * (UINT)*oh * 4,
					 (BYTE *)*bits);
	if (FAILED(hr)) {
		DeleteObject(*out);
		*out = NULL;
		rc = ferry_error_set(FERRY_ECORRUPT, "picture: %s cannot be decoded (HRESULT 0x%08lx)",
				     U8(path), (unsigned long)hr);
	}
out:
	if (scaler)
		IWICBitmapScaler_Release(scaler);
	if (conv)
		IWICBitmapSource_Release(conv);
	if (frame)
		IWICBitmapFrameDecode_Release(frame);
	if (dec)
		IWICBitmapDecoder_Release(dec);
	if (f)
		IWICImagingFactory_Release(f);
	return rc;
}

ferry_err draw_image_load(HBITMAP *out, uint32_t **bits, int *w, int *h, const wchar_t *path,
			  int max_w, int max_h)
{
	HRESULT init;
	ferry_err rc;

	*out = NULL;
	*bits = NULL;
	if (!path || !path[0] || max_w < 1 || max_h < 1)
		return ferry_error_set(FERRY_EINVAL, "picture: no path or no room");
	rc = check_file(path);
	if (rc)
		return rc;
	/* Inside LogonUI the thread already has an apartment: RPC_E_CHANGED_MODE
	 * then means "use the one there", and only our own init is undone. */
	init = CoInitializeEx(NULL, COINIT_APARTMENTTHREADED);
	if (FAILED(init) && init != RPC_E_CHANGED_MODE)
		return hr_err(FERRY_ESYSTEM, "CoInitializeEx", init);
	rc = decode(path, max_w, max_h, out, bits, w, h);
	if (SUCCEEDED(init))
		CoUninitialize();
	return rc;
}
