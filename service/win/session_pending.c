/* Placeholder until the notifier issue (#8) lands. */
#include "win/session.h"

ferry_err svc_session_start_notifier(unsigned long session_id)
{
	(void)session_id;
	return ferry_error_set(FERRY_ENOTIMPL, "notifier launch: not implemented yet (the lock-screen issue, #8)");
}
