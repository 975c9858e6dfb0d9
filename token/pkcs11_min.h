/*
 * pkcs11_min: the few PKCS#11 (Cryptoki v2.40) types, constants and the
 * function-list layout that token/admin_*.c need to generate key pairs
 * with an exact attribute template, which libp11 cannot do.  Written from
 * the public PKCS#11 v2.40 base specification (section 3 for the types,
 * section 4 for the attributes, section 5 for the functions).
 *
 * Only the monitor's token layer and csign-admin include this; everything
 * else talks to tokens through libp11.
 *
 * On Linux the spec's packing and calling conventions are the platform's
 * defaults: CK_ULONG is unsigned long, structures have natural alignment,
 * and CK_PTR is a plain pointer.
 */
#ifndef CSIGN_PKCS11_MIN_H
#define CSIGN_PKCS11_MIN_H

typedef unsigned char CK_BYTE;
typedef CK_BYTE CK_BBOOL;
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_FLAGS;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_ULONG CK_OBJECT_CLASS;
typedef CK_ULONG CK_KEY_TYPE;
typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_ULONG CK_USER_TYPE;
typedef CK_ULONG CK_STATE;
typedef CK_ULONG CK_NOTIFICATION;

#define CK_FALSE 0
#define CK_TRUE 1
#define CK_INVALID_HANDLE 0UL
#define CK_UNAVAILABLE_INFORMATION (~0UL)

typedef struct CK_VERSION {
	CK_BYTE major;
	CK_BYTE minor;
} CK_VERSION;

typedef struct CK_ATTRIBUTE {
	CK_ATTRIBUTE_TYPE type;
	void *pValue;
	CK_ULONG ulValueLen;
} CK_ATTRIBUTE;

typedef struct CK_MECHANISM {
	CK_MECHANISM_TYPE mechanism;
	void *pParameter;
	CK_ULONG ulParameterLen;
} CK_MECHANISM;

typedef struct CK_SESSION_INFO {
	CK_SLOT_ID slotID;
	CK_STATE state;
	CK_FLAGS flags;
	CK_ULONG ulDeviceError;
} CK_SESSION_INFO;

typedef CK_RV (*CK_NOTIFY)(CK_SESSION_HANDLE, CK_NOTIFICATION, void *);

/* Return values (section 5.1). */
#define CKR_OK 0x000UL
#define CKR_HOST_MEMORY 0x002UL
#define CKR_GENERAL_ERROR 0x005UL
#define CKR_FUNCTION_FAILED 0x006UL
#define CKR_ATTRIBUTE_READ_ONLY 0x010UL
#define CKR_ATTRIBUTE_SENSITIVE 0x011UL
#define CKR_ATTRIBUTE_TYPE_INVALID 0x012UL
#define CKR_ATTRIBUTE_VALUE_INVALID 0x013UL
#define CKR_DEVICE_ERROR 0x030UL
#define CKR_DEVICE_MEMORY 0x031UL
#define CKR_DEVICE_REMOVED 0x032UL
#define CKR_FUNCTION_NOT_SUPPORTED 0x054UL
#define CKR_KEY_SIZE_RANGE 0x062UL
#define CKR_MECHANISM_INVALID 0x070UL
#define CKR_MECHANISM_PARAM_INVALID 0x071UL
#define CKR_PIN_INCORRECT 0x0A0UL
#define CKR_PIN_LOCKED 0x0A4UL
#define CKR_SESSION_READ_ONLY 0x0B5UL
#define CKR_TEMPLATE_INCOMPLETE 0x0D0UL
#define CKR_TEMPLATE_INCONSISTENT 0x0D1UL
#define CKR_TOKEN_NOT_PRESENT 0x0E0UL
#define CKR_TOKEN_WRITE_PROTECTED 0x0E2UL
#define CKR_USER_ALREADY_LOGGED_IN 0x100UL
#define CKR_USER_NOT_LOGGED_IN 0x101UL
#define CKR_CRYPTOKI_NOT_INITIALIZED 0x190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL

/* C_OpenSession flags and session states (section 5.6). */
#define CKF_RW_SESSION 0x2UL
#define CKF_SERIAL_SESSION 0x4UL
#define CKS_RO_PUBLIC_SESSION 0UL
#define CKS_RO_USER_FUNCTIONS 1UL
#define CKS_RW_PUBLIC_SESSION 2UL
#define CKS_RW_USER_FUNCTIONS 3UL
#define CKS_RW_SO_FUNCTIONS 4UL

/* User types. */
#define CKU_SO 0UL
#define CKU_USER 1UL

/* Object classes and key types. */
#define CKO_CERTIFICATE 1UL
#define CKO_PUBLIC_KEY 2UL
#define CKO_PRIVATE_KEY 3UL
#define CKK_RSA 0x000UL
#define CKK_EC 0x003UL

/* Attributes (section 4). */
#define CKA_CLASS 0x000UL
#define CKA_TOKEN 0x001UL
#define CKA_PRIVATE 0x002UL
#define CKA_LABEL 0x003UL
#define CKA_KEY_TYPE 0x100UL
#define CKA_ID 0x102UL
#define CKA_SENSITIVE 0x103UL
#define CKA_ENCRYPT 0x104UL
#define CKA_DECRYPT 0x105UL
#define CKA_WRAP 0x106UL
#define CKA_UNWRAP 0x107UL
#define CKA_SIGN 0x108UL
#define CKA_SIGN_RECOVER 0x109UL
#define CKA_VERIFY 0x10AUL
#define CKA_VERIFY_RECOVER 0x10BUL
#define CKA_DERIVE 0x10CUL
#define CKA_MODULUS 0x120UL
#define CKA_MODULUS_BITS 0x121UL
#define CKA_PUBLIC_EXPONENT 0x122UL
#define CKA_EXTRACTABLE 0x162UL
#define CKA_LOCAL 0x163UL
#define CKA_NEVER_EXTRACTABLE 0x164UL
#define CKA_ALWAYS_SENSITIVE 0x165UL
#define CKA_EC_PARAMS 0x180UL
#define CKA_EC_POINT 0x181UL

/* Mechanisms. */
#define CKM_RSA_PKCS_KEY_PAIR_GEN 0x0000UL
#define CKM_EC_KEY_PAIR_GEN 0x1040UL

/*
 * Functions this header gives a prototype for; the others are only place
 * holders in the list, all function pointers being the same size.
 */
typedef CK_RV (*CK_UNUSED_FN)(void);
typedef CK_RV (*CK_C_Initialize)(void *);
typedef CK_RV (*CK_C_OpenSession)(CK_SLOT_ID, CK_FLAGS, void *, CK_NOTIFY,
    CK_SESSION_HANDLE *);
typedef CK_RV (*CK_C_CloseSession)(CK_SESSION_HANDLE);
typedef CK_RV (*CK_C_GetSessionInfo)(CK_SESSION_HANDLE, CK_SESSION_INFO *);
typedef CK_RV (
    *CK_C_Login)(CK_SESSION_HANDLE, CK_USER_TYPE, CK_BYTE *, CK_ULONG);
typedef CK_RV (*CK_C_DestroyObject)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE);
typedef CK_RV (*CK_C_GetAttributeValue)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE,
    CK_ATTRIBUTE *, CK_ULONG);
typedef CK_RV (*CK_C_SetAttributeValue)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE,
    CK_ATTRIBUTE *, CK_ULONG);
typedef CK_RV (
    *CK_C_FindObjectsInit)(CK_SESSION_HANDLE, CK_ATTRIBUTE *, CK_ULONG);
typedef CK_RV (*CK_C_FindObjects)(CK_SESSION_HANDLE, CK_OBJECT_HANDLE *,
    CK_ULONG, CK_ULONG *);
typedef CK_RV (*CK_C_FindObjectsFinal)(CK_SESSION_HANDLE);
typedef CK_RV (*CK_C_GenerateKeyPair)(CK_SESSION_HANDLE, CK_MECHANISM *,
    CK_ATTRIBUTE *, CK_ULONG, CK_ATTRIBUTE *, CK_ULONG, CK_OBJECT_HANDLE *,
    CK_OBJECT_HANDLE *);

/*
 * CK_FUNCTION_LIST (section 5.16), a version then one pointer per
 * function in the specification's order; only the part up to
 * C_GenerateKeyPair is spelled out, which is all this code reads.  The
 * list a module returns is longer; we never copy it, only read through
 * the pointer the module gives us.
 */
typedef struct CK_FUNCTION_LIST {
	CK_VERSION version;
	CK_C_Initialize C_Initialize;
	CK_UNUSED_FN C_Finalize;
	CK_UNUSED_FN C_GetInfo;
	CK_UNUSED_FN C_GetFunctionList;
	CK_UNUSED_FN C_GetSlotList;
	CK_UNUSED_FN C_GetSlotInfo;
	CK_UNUSED_FN C_GetTokenInfo;
	CK_UNUSED_FN C_GetMechanismList;
	CK_UNUSED_FN C_GetMechanismInfo;
	CK_UNUSED_FN C_InitToken;
	CK_UNUSED_FN C_InitPIN;
	CK_UNUSED_FN C_SetPIN;
	CK_C_OpenSession C_OpenSession;
	CK_C_CloseSession C_CloseSession;
	CK_UNUSED_FN C_CloseAllSessions;
	CK_C_GetSessionInfo C_GetSessionInfo;
	CK_UNUSED_FN C_GetOperationState;
	CK_UNUSED_FN C_SetOperationState;
	CK_C_Login C_Login;
	CK_UNUSED_FN C_Logout;
	CK_UNUSED_FN C_CreateObject;
	CK_UNUSED_FN C_CopyObject;
	CK_C_DestroyObject C_DestroyObject;
	CK_UNUSED_FN C_GetObjectSize;
	CK_C_GetAttributeValue C_GetAttributeValue;
	CK_C_SetAttributeValue C_SetAttributeValue;
	CK_C_FindObjectsInit C_FindObjectsInit;
	CK_C_FindObjects C_FindObjects;
	CK_C_FindObjectsFinal C_FindObjectsFinal;
	CK_UNUSED_FN C_EncryptInit;
	CK_UNUSED_FN C_Encrypt;
	CK_UNUSED_FN C_EncryptUpdate;
	CK_UNUSED_FN C_EncryptFinal;
	CK_UNUSED_FN C_DecryptInit;
	CK_UNUSED_FN C_Decrypt;
	CK_UNUSED_FN C_DecryptUpdate;
	CK_UNUSED_FN C_DecryptFinal;
	CK_UNUSED_FN C_DigestInit;
	CK_UNUSED_FN C_Digest;
	CK_UNUSED_FN C_DigestUpdate;
	CK_UNUSED_FN C_DigestKey;
	CK_UNUSED_FN C_DigestFinal;
	CK_UNUSED_FN C_SignInit;
	CK_UNUSED_FN C_Sign;
	CK_UNUSED_FN C_SignUpdate;
	CK_UNUSED_FN C_SignFinal;
	CK_UNUSED_FN C_SignRecoverInit;
	CK_UNUSED_FN C_SignRecover;
	CK_UNUSED_FN C_VerifyInit;
	CK_UNUSED_FN C_Verify;
	CK_UNUSED_FN C_VerifyUpdate;
	CK_UNUSED_FN C_VerifyFinal;
	CK_UNUSED_FN C_VerifyRecoverInit;
	CK_UNUSED_FN C_VerifyRecover;
	CK_UNUSED_FN C_DigestEncryptUpdate;
	CK_UNUSED_FN C_DecryptDigestUpdate;
	CK_UNUSED_FN C_SignEncryptUpdate;
	CK_UNUSED_FN C_DecryptVerifyUpdate;
	CK_UNUSED_FN C_GenerateKey;
	CK_C_GenerateKeyPair C_GenerateKeyPair;
	/* C_WrapKey ... C_WaitForSlotEvent follow; not used here. */
} CK_FUNCTION_LIST;

typedef CK_RV (*CK_C_GetFunctionList)(CK_FUNCTION_LIST **);

#endif
