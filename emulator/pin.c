// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* PIN records (PBKDF2-HMAC-SHA256) and the login table. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "keystore.h"
#include "pin.h"

/* The compiled-in wheel PIN record of a factory-fresh board (§7.1). */
static const struct pin_record last_gasp = {
	.iterations = 1000,
	.salt = { 0x34, 0x3f, 0x18, 0x36, 0x94, 0xeb, 0xda, 0xb6,
		  0x5a, 0x5c, 0xbe, 0xc7, 0x61, 0xa0, 0x43, 0x5f },
	.dk = { 0xd5, 0xde, 0xe9, 0x9f, 0x0c, 0xd0, 0xc1, 0x72, 0xfe, 0xe1, 0x8e, 0xe2,
		0xad, 0x94, 0x9e, 0x9a, 0xb2, 0x11, 0x14, 0xe4, 0xa4, 0x04, 0xf0, 0x98,
		0xd1, 0x44, 0x22, 0x8a, 0x7c, 0x23, 0x5d, 0xdb, 0xe4, 0x29, 0xa6, 0x95,
		0x4b, 0xbb, 0x34, 0xf7, 0x16, 0x8b, 0x3f, 0x67, 0x65, 0xc9, 0xa2, 0x2b,
		0xcc, 0x5a, 0x25, 0xa7, 0xef, 0xd5, 0x2e, 0x99, 0x75, 0xc8, 0x0f, 0xd9,
		0xff, 0x76, 0xf6, 0x1c },
};

void pin_factory(struct board *b)
{
	memset(b->pins, 0, sizeof(b->pins));
	b->pins[HAL_USER_WHEEL] = last_gasp;
}

int pin_derive(const uint8_t *pin, uint32_t len, const uint8_t *salt, uint32_t iterations,
	       uint8_t dk[EMU_PIN_DK_LEN])
{
	return PKCS5_PBKDF2_HMAC((const char *)pin, (int)len, salt, EMU_PIN_SALT_LEN,
				 (int)iterations, EVP_sha256(), EMU_PIN_DK_LEN, dk) == 1 ? 0 : -1;
}

bool pin_matches(const struct pin_record *rec, uint32_t default_iter, const uint8_t *pin,
		 uint32_t len)
{
	uint8_t dk[EMU_PIN_DK_LEN];
	uint32_t iter = rec->iterations ? rec->iterations : default_iter;

	if (pin_derive(pin, len, rec->salt, iter, dk) < 0)
		return false;
	return CRYPTO_memcmp(dk, rec->dk, sizeof(dk)) == 0;
}

static struct login *login_find(struct board *b, uint32_t client)
{
	for (unsigned int i = 0; i < HAL_MAX_LOGGED_IN_CLIENTS; i++)
		if (b->logins[i].user != HAL_USER_NONE && b->logins[i].client == client)
			return &b->logins[i];
	return NULL;
}

uint32_t login_user(struct board *b, uint32_t client)
{
	struct login *l = login_find(b, client);

	return l ? l->user : HAL_USER_NONE;
}

bool logged_in(struct board *b, uint32_t client)
{
	uint32_t u = login_user(b, client);

	return u == HAL_USER_NORMAL || u == HAL_USER_WHEEL;
}

int login_set(struct board *b, uint32_t client, uint32_t user)
{
	struct login *l = login_find(b, client);

	for (unsigned int i = 0; !l && i < HAL_MAX_LOGGED_IN_CLIENTS; i++)
		if (b->logins[i].user == HAL_USER_NONE)
			l = &b->logins[i];
	if (!l)
		return HAL_ERROR_NO_CLIENT_SLOTS_AVAILABLE;
	l->client = client;
	l->user = user;
	return 0;
}

void logout_client(struct board *b, uint32_t client)
{
	struct login *l = login_find(b, client);

	if (!l)
		return;		/* not logged in: nothing at all happens */
	if (client != 0)	/* keys owned by 0 are everybody's */
		keystore_delete_owned(b, client);
	l->user = HAL_USER_NONE;
	l->client = 0;
}
