/*
 * Placeholders until the lock-screen issue (#8) lands: each op fails with
 * FERRY_ENOTIMPL and says so, as the service issue requires.
 */
#include "lock/lock.h"

ferry_err lock_screen_set(const char *image_path, const char *caption)
{
	(void)image_path;
	(void)caption;
	return ferry_error_set(FERRY_ENOTIMPL, "lock screen: not implemented yet (the lock-screen issue, #8)");
}

ferry_err lock_screen_restore(void)
{
	return ferry_error_set(FERRY_ENOTIMPL, "lock screen: not implemented yet (the lock-screen issue, #8)");
}

ferry_err lock_legal_set(const char *caption, const char *text)
{
	(void)caption;
	(void)text;
	return ferry_error_set(FERRY_ENOTIMPL, "legal notice: not implemented yet (the lock-screen issue, #8)");
}

ferry_err lock_legal_restore(void)
{
	return ferry_error_set(FERRY_ENOTIMPL, "legal notice: not implemented yet (the lock-screen issue, #8)");
}
