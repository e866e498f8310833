/* The DLL-wide reference count that backs DllCanUnloadNow. */
#ifndef FERRY_CP_DLL_H
#define FERRY_CP_DLL_H

/* Every COM object and lock of this DLL holds one reference while alive. */
void cp_dll_addref(void);
void cp_dll_release(void);

#endif
