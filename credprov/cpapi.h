/*
 * The credential-provider ABI, for C.
 *
 * mingw-w64 10 ships no credentialprovider.h, so when __has_include does not
 * find the SDK's header this file declares what ferrycp.dll uses, from
 * Microsoft's public interface definitions (credentialprovider.idl): the
 * enums with their values, the two ABI structs, and each interface's vtable
 * in its documented method order. With the SDK header present (MSVC), the
 * SDK's declarations are used and only the CP_IID_* constants below come
 * from here, so the DLL never depends on uuid.lib carrying these IIDs.
 *
 * Invariants: every vtable begins with IUnknown's three methods; every
 * method is STDMETHODCALLTYPE; the enums are int-sized and numbered from 0.
 */
#ifndef FERRY_CP_API_H
#define FERRY_CP_API_H

#include <windows.h>
#include <objbase.h>
#include <unknwn.h>

#include <assert.h>
#include <stddef.h>

#if defined(__has_include)
#if __has_include(<credentialprovider.h>)
#define FERRY_CP_SDK_HEADER 1
#endif
#endif

/* Ferry's vtables are `static const`: the SDK's (and mingw-w64 11+'s)
 * headers declare lpVtbl const only under CONST_VTABLE, which credprov's
 * CMakeLists defines for every file (it must be seen before <windows.h>). */
#if defined(FERRY_CP_SDK_HEADER) && !defined(CONST_VTABLE)
#error "ferrycp.dll is built with CONST_VTABLE (credprov/CMakeLists.txt)"
#endif

#ifdef FERRY_CP_SDK_HEADER
#include <credentialprovider.h>
#else

typedef enum _CREDENTIAL_PROVIDER_USAGE_SCENARIO {
	CPUS_INVALID = 0,
	CPUS_LOGON,
	CPUS_UNLOCK_WORKSTATION,
	CPUS_CHANGE_PASSWORD,
	CPUS_CREDUI,
	CPUS_PLAP
} CREDENTIAL_PROVIDER_USAGE_SCENARIO;

typedef enum _CREDENTIAL_PROVIDER_FIELD_TYPE {
	CPFT_INVALID = 0,
	CPFT_LARGE_TEXT,
	CPFT_SMALL_TEXT,
	CPFT_COMMAND_LINK,
	CPFT_EDIT_TEXT,
	CPFT_PASSWORD_TEXT,
	CPFT_TILE_IMAGE,
	CPFT_CHECKBOX,
	CPFT_COMBOBOX,
	CPFT_SUBMIT_BUTTON
} CREDENTIAL_PROVIDER_FIELD_TYPE;

typedef enum _CREDENTIAL_PROVIDER_FIELD_STATE {
	CPFS_HIDDEN = 0,
	CPFS_DISPLAY_IN_SELECTED_TILE,
	CPFS_DISPLAY_IN_DESELECTED_TILE,
	CPFS_DISPLAY_IN_BOTH
} CREDENTIAL_PROVIDER_FIELD_STATE;

typedef enum _CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE {
	CPFIS_NONE = 0,
	CPFIS_READONLY,
	CPFIS_DISABLED,
	CPFIS_FOCUSED
} CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE;

typedef enum _CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE {
	CPGSR_NO_CREDENTIAL_NOT_FINISHED = 0,
	CPGSR_NO_CREDENTIAL_FINISHED,
	CPGSR_RETURN_CREDENTIAL_FINISHED,
	CPGSR_RETURN_NO_CREDENTIAL_FINISHED
} CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE;

typedef enum _CREDENTIAL_PROVIDER_STATUS_ICON {
	CPSI_NONE = 0,
	CPSI_ERROR,
	CPSI_WARNING,
	CPSI_SUCCESS
} CREDENTIAL_PROVIDER_STATUS_ICON;

typedef enum _CREDENTIAL_PROVIDER_CREDENTIAL_FIELD_OPTIONS {
	CPCFO_NONE = 0,
	CPCFO_ENABLE_PASSWORD_REVEAL = 0x1,
	CPCFO_IS_EMAIL_ADDRESS = 0x2,
	CPCFO_ENABLE_TOUCH_KEYBOARD_AUTO_INVOKE = 0x4,
	CPCFO_NUMBERS_ONLY = 0x8,
	CPCFO_SHOW_ENGLISH_KEYBOARD = 0x10
} CREDENTIAL_PROVIDER_CREDENTIAL_FIELD_OPTIONS;

typedef enum CREDENTIAL_PROVIDER_ACCOUNT_OPTIONS {
	CPAO_NONE = 0,
	CPAO_EMPTY_LOCAL = 0x1,
	CPAO_EMPTY_CONNECTED = 0x2
} CREDENTIAL_PROVIDER_ACCOUNT_OPTIONS;

typedef struct _CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR {
	DWORD dwFieldID;
	CREDENTIAL_PROVIDER_FIELD_TYPE cpft;
	LPWSTR pszLabel;
	GUID guidFieldType;
} CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR;

typedef struct _CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION {
	ULONG ulAuthenticationPackage;
	GUID clsidCredentialProvider;
	ULONG cbSerialization;
	byte *rgbSerialization;
} CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION;

typedef struct ICredentialProvider ICredentialProvider;
typedef struct ICredentialProviderCredential ICredentialProviderCredential;
typedef struct ICredentialProviderCredential2 ICredentialProviderCredential2;
typedef struct ICredentialProviderCredentialWithFieldOptions
	ICredentialProviderCredentialWithFieldOptions;
typedef struct ICredentialProviderCredentialEvents ICredentialProviderCredentialEvents;
typedef struct ICredentialProviderEvents ICredentialProviderEvents;
typedef struct ICredentialProviderFilter ICredentialProviderFilter;
typedef struct ICredentialProviderSetUserArray ICredentialProviderSetUserArray;
typedef struct ICredentialProviderUserArray ICredentialProviderUserArray;
typedef struct ICredentialProviderUser ICredentialProviderUser;

#define CP_IUNKNOWN_METHODS(T)                                                        \
	HRESULT(STDMETHODCALLTYPE *QueryInterface)(T * This, REFIID riid, void **ppv); \
	ULONG(STDMETHODCALLTYPE *AddRef)(T * This);                                    \
	ULONG(STDMETHODCALLTYPE *Release)(T * This)

typedef struct ICredentialProviderVtbl {
	CP_IUNKNOWN_METHODS(ICredentialProvider);
	HRESULT(STDMETHODCALLTYPE *SetUsageScenario)(ICredentialProvider *This,
						     CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus,
						     DWORD dwFlags);
	HRESULT(STDMETHODCALLTYPE *SetSerialization)(
		ICredentialProvider *This, const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *pcpcs);
	HRESULT(STDMETHODCALLTYPE *Advise)(ICredentialProvider *This,
					   ICredentialProviderEvents *pcpe, UINT_PTR upAdviseContext);
	HRESULT(STDMETHODCALLTYPE *UnAdvise)(ICredentialProvider *This);
	HRESULT(STDMETHODCALLTYPE *GetFieldDescriptorCount)(ICredentialProvider *This,
							    DWORD *pdwCount);
	HRESULT(STDMETHODCALLTYPE *GetFieldDescriptorAt)(
		ICredentialProvider *This, DWORD dwIndex,
		CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR **ppcpfd);
	HRESULT(STDMETHODCALLTYPE *GetCredentialCount)(ICredentialProvider *This, DWORD *pdwCount,
						       DWORD *pdwDefault,
						       BOOL *pbAutoLogonWithDefault);
	HRESULT(STDMETHODCALLTYPE *GetCredentialAt)(ICredentialProvider *This, DWORD dwIndex,
						    ICredentialProviderCredential **ppcpc);
} ICredentialProviderVtbl;
struct ICredentialProvider {
	const ICredentialProviderVtbl *lpVtbl;
};

/* ICredentialProviderCredential's methods; Credential2 repeats them, then GetUserSid. */
#define CP_CREDENTIAL_METHODS(T)                                                                 \
	CP_IUNKNOWN_METHODS(T);                                                                  \
	HRESULT(STDMETHODCALLTYPE *Advise)(T * This, ICredentialProviderCredentialEvents *pcpce); \
	HRESULT(STDMETHODCALLTYPE *UnAdvise)(T * This);                                          \
	HRESULT(STDMETHODCALLTYPE *SetSelected)(T * This, BOOL *pbAutoLogon);                    \
	HRESULT(STDMETHODCALLTYPE *SetDeselected)(T * This);                                     \
	HRESULT(STDMETHODCALLTYPE *GetFieldState)(T * This, DWORD dwFieldID,                     \
						  CREDENTIAL_PROVIDER_FIELD_STATE *pcpfs,          \
						  CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE *pcpfis); \
	HRESULT(STDMETHODCALLTYPE *GetStringValue)(T * This, DWORD dwFieldID, LPWSTR *ppsz);    \
	HRESULT(STDMETHODCALLTYPE *GetBitmapValue)(T * This, DWORD dwFieldID, HBITMAP *phbmp);  \
	HRESULT(STDMETHODCALLTYPE *GetCheckboxValue)(T * This, DWORD dwFieldID, BOOL *pbChecked, \
						     LPWSTR *ppszLabel);                         \
	HRESULT(STDMETHODCALLTYPE *GetSubmitButtonValue)(T * This, DWORD dwFieldID,              \
							 DWORD *pdwAdjacentTo);                  \
	HRESULT(STDMETHODCALLTYPE *GetComboBoxValueCount)(T * This, DWORD dwFieldID,             \
							  DWORD *pcItems, DWORD *pdwSelectedItem); \
	HRESULT(STDMETHODCALLTYPE *GetComboBoxValueAt)(T * This, DWORD dwFieldID, DWORD dwItem,  \
						       LPWSTR *ppszItem);                        \
	HRESULT(STDMETHODCALLTYPE *SetStringValue)(T * This, DWORD dwFieldID, LPCWSTR psz);     \
	HRESULT(STDMETHODCALLTYPE *SetCheckboxValue)(T * This, DWORD dwFieldID, BOOL bChecked); \
	HRESULT(STDMETHODCALLTYPE *SetComboBoxSelectedValue)(T * This, DWORD dwFieldID,          \
							     DWORD dwSelectedItem);              \
	HRESULT(STDMETHODCALLTYPE *CommandLinkClicked)(T * This, DWORD dwFieldID);               \
	HRESULT(STDMETHODCALLTYPE *GetSerialization)(                                            \
		T * This, CREDENTIAL_PROVIDER_GET_SERIALIZATION_RESPONSE * pcpgsr,                \
		CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION * pcpcs,                             \
		LPWSTR * ppszOptionalStatusText,                                                  \
		CREDENTIAL_PROVIDER_STATUS_ICON * pcpsiOptionalStatusIcon);                       \
	HRESULT(STDMETHODCALLTYPE *ReportResult)(                                                \
		T * This, LONG ntsStatus, LONG ntsSubstatus, LPWSTR * ppszOptionalStatusText,     \
		CREDENTIAL_PROVIDER_STATUS_ICON * pcpsiOptionalStatusIcon)

typedef struct ICredentialProviderCredentialVtbl {
	CP_CREDENTIAL_METHODS(ICredentialProviderCredential);
} ICredentialProviderCredentialVtbl;
struct ICredentialProviderCredential {
	const ICredentialProviderCredentialVtbl *lpVtbl;
};

typedef struct ICredentialProviderCredential2Vtbl {
	CP_CREDENTIAL_METHODS(ICredentialProviderCredential2);
	HRESULT(STDMETHODCALLTYPE *GetUserSid)(ICredentialProviderCredential2 *This, LPWSTR *sid);
} ICredentialProviderCredential2Vtbl;
struct ICredentialProviderCredential2 {
	const ICredentialProviderCredential2Vtbl *lpVtbl;
};

/* IQueryContinue (shobjidl) + SetStatusMessage: what LogonUI hands Connect. */
typedef struct IQueryContinueWithStatus IQueryContinueWithStatus;
typedef struct IQueryContinueWithStatusVtbl {
	CP_IUNKNOWN_METHODS(IQueryContinueWithStatus);
	HRESULT(STDMETHODCALLTYPE *QueryContinue)(IQueryContinueWithStatus *This);
	HRESULT(STDMETHODCALLTYPE *SetStatusMessage)(IQueryContinueWithStatus *This, LPCWSTR psz);
} IQueryContinueWithStatusVtbl;
struct IQueryContinueWithStatus {
	const IQueryContinueWithStatusVtbl *lpVtbl;
};

/* ICredentialProviderCredential's methods, then Connect and Disconnect. */
typedef struct IConnectableCredentialProviderCredential IConnectableCredentialProviderCredential;
typedef struct IConnectableCredentialProviderCredentialVtbl {
	CP_CREDENTIAL_METHODS(IConnectableCredentialProviderCredential);
	HRESULT(STDMETHODCALLTYPE *Connect)(IConnectableCredentialProviderCredential *This,
					    IQueryContinueWithStatus *pqcws);
	HRESULT(STDMETHODCALLTYPE *Disconnect)(IConnectableCredentialProviderCredential *This);
} IConnectableCredentialProviderCredentialVtbl;
struct IConnectableCredentialProviderCredential {
	const IConnectableCredentialProviderCredentialVtbl *lpVtbl;
};

typedef struct ICredentialProviderCredentialWithFieldOptionsVtbl {
	CP_IUNKNOWN_METHODS(ICredentialProviderCredentialWithFieldOptions);
	HRESULT(STDMETHODCALLTYPE *GetFieldOptions)(
		ICredentialProviderCredentialWithFieldOptions *This, DWORD fieldID,
		CREDENTIAL_PROVIDER_CREDENTIAL_FIELD_OPTIONS *options);
} ICredentialProviderCredentialWithFieldOptionsVtbl;
struct ICredentialProviderCredentialWithFieldOptions {
	const ICredentialProviderCredentialWithFieldOptionsVtbl *lpVtbl;
};

typedef struct ICredentialProviderCredentialEventsVtbl {
	CP_IUNKNOWN_METHODS(ICredentialProviderCredentialEvents);
	HRESULT(STDMETHODCALLTYPE *SetFieldState)(ICredentialProviderCredentialEvents *This,
						  ICredentialProviderCredential *pcpc, DWORD dwFieldID,
						  CREDENTIAL_PROVIDER_FIELD_STATE cpfs);
	HRESULT(STDMETHODCALLTYPE *SetFieldInteractiveState)(
		ICredentialProviderCredentialEvents *This, ICredentialProviderCredential *pcpc,
		DWORD dwFieldID, CREDENTIAL_PROVIDER_FIELD_INTERACTIVE_STATE cpfis);
	HRESULT(STDMETHODCALLTYPE *SetFieldString)(ICredentialProviderCredentialEvents *This,
						   ICredentialProviderCredential *pcpc,
						   DWORD dwFieldID, LPCWSTR psz);
	HRESULT(STDMETHODCALLTYPE *SetFieldCheckbox)(ICredentialProviderCredentialEvents *This,
						     ICredentialProviderCredential *pcpc,
						     DWORD dwFieldID, BOOL bChecked, LPCWSTR pszLabel);
	HRESULT(STDMETHODCALLTYPE *SetFieldBitmap)(ICredentialProviderCredentialEvents *This,
						   ICredentialProviderCredential *pcpc,
						   DWORD dwFieldID, HBITMAP hbmp);
	HRESULT(STDMETHODCALLTYPE *SetFieldComboBoxSelectedItem)(
		ICredentialProviderCredentialEvents *This, ICredentialProviderCredential *pcpc,
		DWORD dwFieldID, DWORD dwSelectedItem);
	HRESULT(STDMETHODCALLTYPE *DeleteFieldComboBoxItem)(
		ICredentialProviderCredentialEvents *This, ICredentialProviderCredential *pcpc,
		DWORD dwFieldID, DWORD dwItem);
	HRESULT(STDMETHODCALLTYPE *AppendFieldComboBoxItem)(
		ICredentialProviderCredentialEvents *This, ICredentialProviderCredential *pcpc,
		DWORD dwFieldID, LPCWSTR pszItem);
	HRESULT(STDMETHODCALLTYPE *SetFieldSubmitButton)(ICredentialProviderCredentialEvents *This,
							 ICredentialProviderCredential *pcpc,
							 DWORD dwFieldID, DWORD dwAdjacentTo);
	HRESULT(STDMETHODCALLTYPE *OnCreatingWindow)(ICredentialProviderCredentialEvents *This,
						     HWND *phwndOwner);
} ICredentialProviderCredentialEventsVtbl;
struct ICredentialProviderCredentialEvents {
	const ICredentialProviderCredentialEventsVtbl *lpVtbl;
};

typedef struct ICredentialProviderEventsVtbl {
	CP_IUNKNOWN_METHODS(ICredentialProviderEvents);
	HRESULT(STDMETHODCALLTYPE *CredentialsChanged)(ICredentialProviderEvents *This,
						       UINT_PTR upAdviseContext);
} ICredentialProviderEventsVtbl;
struct ICredentialProviderEvents {
	const ICredentialProviderEventsVtbl *lpVtbl;
};

typedef struct ICredentialProviderFilterVtbl {
	CP_IUNKNOWN_METHODS(ICredentialProviderFilter);
	HRESULT(STDMETHODCALLTYPE *Filter)(ICredentialProviderFilter *This,
					   CREDENTIAL_PROVIDER_USAGE_SCENARIO cpus, DWORD dwFlags,
					   GUID *rgclsidProviders, BOOL *rgbAllow,
					   DWORD cProviders);
	HRESULT(STDMETHODCALLTYPE *UpdateRemoteCredential)(
		ICredentialProviderFilter *This,
		const CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *pcpcsIn,
		CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION *pcpcsOut);
} ICredentialProviderFilterVtbl;
struct ICredentialProviderFilter {
	const ICredentialProviderFilterVtbl *lpVtbl;
};

/* ICredentialProviderUser's property methods take REFPROPERTYKEY and
 * PROPVARIANT *; Ferry never calls them, so they are declared opaquely. */
typedef struct ICredentialProviderUserVtbl {
	CP_IUNKNOWN_METHODS(ICredentialProviderUser);
	HRESULT(STDMETHODCALLTYPE *GetSid)(ICredentialProviderUser *This, LPWSTR *sid);
	HRESULT(STDMETHODCALLTYPE *GetProviderID)(ICredentialProviderUser *This, GUID *providerID);
	HRESULT(STDMETHODCALLTYPE *GetStringValue)(ICredentialProviderUser *This, const void *key,
						   LPWSTR *stringValue);
	HRESULT(STDMETHODCALLTYPE *GetValue)(ICredentialProviderUser *This, const void *key,
					     void *value);
} ICredentialProviderUserVtbl;
struct ICredentialProviderUser {
	const ICredentialProviderUserVtbl *lpVtbl;
};

typedef struct ICredentialProviderUserArrayVtbl {
	CP_IUNKNOWN_METHODS(ICredentialProviderUserArray);
	HRESULT(STDMETHODCALLTYPE *SetProviderFilter)(ICredentialProviderUserArray *This,
						      REFGUID guidProviderToFilterTo);
	HRESULT(STDMETHODCALLTYPE *GetAccountOptions)(
		ICredentialProviderUserArray *This,
		CREDENTIAL_PROVIDER_ACCOUNT_OPTIONS *credentialProviderAccountOptions);
	HRESULT(STDMETHODCALLTYPE *GetCount)(ICredentialProviderUserArray *This, DWORD *userCount);
	HRESULT(STDMETHODCALLTYPE *GetAt)(ICredentialProviderUserArray *This, DWORD userIndex,
					  ICredentialProviderUser **user);
} ICredentialProviderUserArrayVtbl;
struct ICredentialProviderUserArray {
	const ICredentialProviderUserArrayVtbl *lpVtbl;
};

typedef struct ICredentialProviderSetUserArrayVtbl {
	CP_IUNKNOWN_METHODS(ICredentialProviderSetUserArray);
	HRESULT(STDMETHODCALLTYPE *SetUserArray)(ICredentialProviderSetUserArray *This,
						 ICredentialProviderUserArray *users);
} ICredentialProviderSetUserArrayVtbl;
struct ICredentialProviderSetUserArray {
	const ICredentialProviderSetUserArrayVtbl *lpVtbl;
};

#endif /* !FERRY_CP_SDK_HEADER */

/* ABI layouts LogonUI reads directly (x64: natural alignment). */
#ifdef _WIN64
static_assert(sizeof(CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR) == 32, "field descriptor is 32 bytes");
static_assert(offsetof(CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR, pszLabel) == 8, "pszLabel at 8");
static_assert(offsetof(CREDENTIAL_PROVIDER_FIELD_DESCRIPTOR, guidFieldType) == 16,
	      "guidFieldType at 16");
static_assert(sizeof(CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION) == 32,
	      "serialization is 32 bytes");
static_assert(offsetof(CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION, clsidCredentialProvider) == 4,
	      "clsid at 4");
static_assert(offsetof(CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION, cbSerialization) == 20,
	      "cbSerialization at 20");
static_assert(offsetof(CREDENTIAL_PROVIDER_CREDENTIAL_SERIALIZATION, rgbSerialization) == 24,
	      "rgbSerialization at 24");
#endif
static_assert(sizeof(CREDENTIAL_PROVIDER_USAGE_SCENARIO) == 4, "enums are int-sized");
static_assert(CPUS_PLAP == 5 && CPFT_SUBMIT_BUTTON == 9 && CPFIS_FOCUSED == 3 &&
		      CPGSR_RETURN_NO_CREDENTIAL_FINISHED == 3 && CPSI_SUCCESS == 3,
	      "enum values as in credentialprovider.idl");

/* IIDs and field-type GUIDs, ours so no import library has to carry them. */
#define CP_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
	static const GUID name = { l, w1, w2, { b1, b2, b3, b4, b5, b6, b7, b8 } }

CP_GUID(CP_IID_ICredentialProvider, 0xd27c3481, 0x5a1c, 0x45b2, 0x8a, 0xaa, 0xc2, 0x0e, 0xbb,
	0xe8, 0x22, 0x9e);
CP_GUID(CP_IID_ICredentialProviderCredential, 0x63913a93, 0x40c1, 0x481a, 0x81, 0x8d, 0x40, 0x72,
	0xff, 0x8c, 0x70, 0xcc);
CP_GUID(CP_IID_ICredentialProviderCredential2, 0xfd672c54, 0x40ea, 0x4d6e, 0x9b, 0x49, 0xcf,
	0xb1, 0xa7, 0x50, 0x7b, 0xd7);
CP_GUID(CP_IID_ICredentialProviderCredentialWithFieldOptions, 0xdbc6fb30, 0xc843, 0x49e3, 0xa6,
	0x45, 0x57, 0x3e, 0x6f, 0x39, 0x44, 0x6a);
CP_GUID(CP_IID_ICredentialProviderSetUserArray, 0x095c1484, 0x1c0c, 0x4388, 0x9c, 0x6d, 0x50,
	0x0e, 0x61, 0xbf, 0x84, 0xbd);
CP_GUID(CP_IID_IConnectableCredentialProviderCredential, 0x9387928b, 0xac75, 0x4bf9, 0x8a, 0xb2,
	0x2b, 0x93, 0xc4, 0xa5, 0x52, 0x90);
CP_GUID(CP_IID_IQueryContinueWithStatus, 0x9090be5b, 0x502b, 0x41fb, 0xbc, 0xcc, 0x00, 0x49, 0xa6,
	0xc7, 0x25, 0x4b);
CP_GUID(CP_IID_ICredentialProviderFilter, 0xa5da53f9, 0xd475, 0x4080, 0xa1, 0x20, 0x91, 0x0c,
	0x4a, 0x73, 0x98, 0x80);
CP_GUID(CP_IID_ICredentialProviderEvents, 0x34201e5a, 0xa787, 0x41a3, 0xa5, 0xa4, 0xbd, 0x6d,
	0xcf, 0x2a, 0x85, 0x4e);
CP_GUID(CP_IID_ICredentialProviderCredentialEvents, 0xfa6fa76b, 0x66b7, 0x4b11, 0x95, 0xf1, 0x86,
	0x17, 0x11, 0x18, 0xe8, 0x16);
CP_GUID(CP_FIELD_LOGON_USERNAME, 0xda15bbe8, 0x954d, 0x4fd3, 0xb0, 0xf4, 0x1f, 0xb5, 0xb9, 0x0b,
	0x17, 0x4b);
CP_GUID(CP_FIELD_LOGON_PASSWORD, 0x60624cfa, 0xa477, 0x47b1, 0x8a, 0x8e, 0x3a, 0x4a, 0x19, 0x98,
	0x18, 0x27);
CP_GUID(CP_FIELD_PROVIDER_LOGO, 0x2d837775, 0xf6cd, 0x464e, 0xa7, 0x45, 0x48, 0x2f, 0xd0, 0xb4,
	0x74, 0x93);
CP_GUID(CP_FIELD_PROVIDER_LABEL, 0x286bbff3, 0xbad4, 0x438f, 0xb0, 0x07, 0x79, 0xb7, 0x26, 0x7c,
	0x3d, 0x48);

#endif
