// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mechanisms. Signing and key generation run on the board (CKF_HW); the
 * hashing of the SHAxxx_ variants, verification (with the public key) and
 * C_Digest run on the host with OpenSSL. Key sizes are the board's: RSA
 * 1024..4096 bits (it generates up to 8192 but cannot sign with them),
 * EC P-256..P-521. Nothing else is claimed.
 */
#include <string.h>

#include "p11.h"

#define SIGN_HW (CKF_HW | CKF_SIGN | CKF_VERIFY)

const struct p11_mech p11_mechs[] = {
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, 1024, 4096, CKF_HW | CKF_GENERATE_KEY_PAIR, CKK_RSA, 0 },
	{ CKM_EC_KEY_PAIR_GEN, 256, 521, CKF_HW | CKF_GENERATE_KEY_PAIR |
	  CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS, CKK_EC, 0 },
	{ CKM_RSA_PKCS, 1024, 4096, SIGN_HW, CKK_RSA, 0 },
	{ CKM_SHA1_RSA_PKCS, 1024, 4096, SIGN_HW, CKK_RSA, 1 },
	{ CKM_SHA256_RSA_PKCS, 1024, 4096, SIGN_HW, CKK_RSA, 256 },
	{ CKM_SHA384_RSA_PKCS, 1024, 4096, SIGN_HW, CKK_RSA, 384 },
	{ CKM_SHA512_RSA_PKCS, 1024, 4096, SIGN_HW, CKK_RSA, 512 },
	{ CKM_ECDSA, 256, 521, SIGN_HW | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	  CKF_EC_UNCOMPRESS, CKK_EC, 0 },
	{ CKM_ECDSA_SHA1, 256, 521, SIGN_HW | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	  CKF_EC_UNCOMPRESS, CKK_EC, 1 },
	{ CKM_ECDSA_SHA256, 256, 521, SIGN_HW | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	  CKF_EC_UNCOMPRESS, CKK_EC, 256 },
	{ CKM_ECDSA_SHA384, 256, 521, SIGN_HW | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	  CKF_EC_UNCOMPRESS, CKK_EC, 384 },
	{ CKM_ECDSA_SHA512, 256, 521, SIGN_HW | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	  CKF_EC_UNCOMPRESS, CKK_EC, 512 },
	{ CKM_SHA_1, 0, 0, CKF_DIGEST, -1, 1 },
	{ CKM_SHA256, 0, 0, CKF_DIGEST, -1, 256 },
	{ CKM_SHA384, 0, 0, CKF_DIGEST, -1, 384 },
	{ CKM_SHA512, 0, 0, CKF_DIGEST, -1, 512 },
};
const size_t p11_n_mechs = sizeof(p11_mechs) / sizeof(p11_mechs[0]);

const struct p11_mech *mech_find(CK_MECHANISM_TYPE type)
{
	size_t i;

	for (i = 0; i < p11_n_mechs; i++)
		if (p11_mechs[i].type == type)
			return &p11_mechs[i];
	return NULL;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pList,
			 CK_ULONG_PTR pulCount)
{
	struct p11_slot *slot;
	CK_RV rv = p11_ready();
	size_t i;

	if (rv != CKR_OK)
		return rv;
	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	p11_lock(g.lock);
	rv = slot_get(slotID, &slot);
	p11_unlock(g.lock);
	if (rv != CKR_OK)
		return rv;
	if (pList && *pulCount < p11_n_mechs)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (pList)
		for (i = 0; i < p11_n_mechs; i++)
			pList[i] = p11_mechs[i].type;
	*pulCount = p11_n_mechs;
	return rv;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
			 CK_MECHANISM_INFO_PTR pInfo)
{
	const struct p11_mech *m;
	struct p11_slot *slot;
	CK_RV rv = p11_ready();

	if (rv != CKR_OK)
		return rv;
	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	p11_lock(g.lock);
	rv = slot_get(slotID, &slot);
	p11_unlock(g.lock);
	if (rv != CKR_OK)
		return rv;
	m = mech_find(type);
	if (!m)
		return CKR_MECHANISM_INVALID;
	pInfo->ulMinKeySize = m->min_bits;
	pInfo->ulMaxKeySize = m->max_bits;
	pInfo->flags = m->flags;
	return CKR_OK;
}
