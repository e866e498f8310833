/*
 * The provisioning seam's wiring (srv_odj.h). This build has no
 * provisioning engine linked in: blobs reach the server only through
 * `ferry-admin odj import`, and an agent asking before then gets 409 (it
 * retries with backoff).
 */
#include "srv.h"

ferry_err srv_provision_attach(struct srv *s)
{
	s->odj.get = NULL;
	s->odj.release = NULL;
	s->odj.ctx = NULL;
	s->odj.name = "import";
	return FERRY_OK;
}
