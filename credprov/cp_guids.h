/* Ferry's class IDs. Stable forever: the MSI and admins' allow-lists name them. */
#ifndef FERRY_CP_GUIDS_H
#define FERRY_CP_GUIDS_H

#include <windows.h>

/* {7747D03C-2611-4054-8A8B-7A623F1F453A} */
static const CLSID CLSID_FerryProvider = {
	0x7747d03c, 0x2611, 0x4054, { 0x8a, 0x8b, 0x7a, 0x62, 0x3f, 0x1f, 0x45, 0x3a }
};
#define FERRY_PROVIDER_CLSID_STR L"{7747D03C-2611-4054-8A8B-7A623F1F453A}"

/* {43C3F53E-5835-410B-8AAD-ED32A7C21A3C} */
static const CLSID CLSID_FerryFilter = {
	0x43c3f53e, 0x5835, 0x410b, { 0x8a, 0xad, 0xed, 0x32, 0xa7, 0xc2, 0x1a, 0x3c }
};
#define FERRY_FILTER_CLSID_STR L"{43C3F53E-5835-410B-8AAD-ED32A7C21A3C}"

#endif
