/* The COM classes' constructors, for the class factory. */
#ifndef FERRY_CP_PROVIDER_H
#define FERRY_CP_PROVIDER_H

#include "cpapi.h"

/** A new provider object, returned through QueryInterface(iid). */
HRESULT cp_provider_create(REFIID iid, void **out);

/** A new filter object, returned through QueryInterface(iid). */
HRESULT cp_filter_create(REFIID iid, void **out);

#endif
