// SPDX-License-Identifier: GPL-2.0
/*
 * hsmctl's key commands end to end against the emulator: attach, bring the
 * board up (WHEEL last-gasp login, PINs) with "hsmctl set-pin", generate an
 * EC P-256 and an RSA-2048 key with labels, list them, export the public
 * keys as PEM, verify "hsmctl key sign" signatures with the openssl
 * command, delete the keys and detach. Board 0 is the emulator; everything
 * goes through the hsmctl binary, as a script would use it.
 */
#include <stdarg.h>

#include "kselftest_harness.h"
#include "hsm_ioctl.h"
#include "hsmctl_cli.h"

#define DIR		"/tmp/hsmctl-keys"
#define put(name, text)	hsmctl_put(DIR, name, text)

FIXTURE(cli) {
	struct hsm_board_desc d;
	char out[16384];
};

FIXTURE_SETUP(cli)
{
	char *out = self->out;
	int st;

	ASSERT_EQ(0, sh(NULL, 0, "mkdir -p " DIR));
	st = sh(out, sizeof(self->out), HSMCTL " attach /dev/ttyUSB0 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "attached on ttyUSB0"));
	ASSERT_EQ(0, hsm_test_find_board("ttyUSB0", &self->d));
	ASSERT_EQ(0, put("wheel", HSM_WHEEL_PIN "\n"));
	ASSERT_EQ(0, put("so", HSM_SO_PIN "\n"));
	ASSERT_EQ(0, put("user", HSM_USER_PIN));
	ASSERT_EQ(0, put("last-gasp", HSM_LAST_GASP_PIN "\n"));
	ASSERT_EQ(0, put("wrong", "not-the-pin\n"));
}

FIXTURE_TEARDOWN(cli)
{
	sh(NULL, 0, HSMCTL " detach %s 2>&1", self->d.dev_name);
	hsm_t_detach_all();
}

/*
 * Bring-up as a person would do it: wheel logs in with the factory PIN and
 * sets the three PINs. Once per boot (the board keeps its PINs; other test
 * programs of the same boot share the marker of hsm_t_bringup()): after
 * that the SO sets the user PIN, which exercises --as so.
 */
TEST_F(cli, bring_up_and_login_status)
{
	const char *marker = "/run/hsm-test-pins-board0";
	char *out = self->out;
	size_t len = sizeof(self->out);
	int st;

	if (!hsm_path_exists(marker)) {
		st = sh(out, len, HSMCTL " set-pin --user wheel --as wheel --pin-file " DIR
			"/last-gasp --new-pin-file " DIR "/wheel 2>&1");
		ASSERT_EQ(0, st) TH_LOG("%s", out);
		ASSERT_NE(NULL, strstr(out, "wheel PIN set"));
		st = sh(out, len, "HSMCTL_NEW_PIN=" HSM_SO_PIN " " HSMCTL
			" set-pin --user so --pin-file " DIR "/wheel 2>&1");
		ASSERT_EQ(0, st) TH_LOG("%s", out);
		st = sh(out, len, HSMCTL " --json set-pin --user user --pin-file "
			DIR "/wheel --new-pin-file " DIR "/user 2>&1");
		ASSERT_EQ(0, st) TH_LOG("%s", out);
		ASSERT_NE(NULL, strstr(out, "\"user\":\"user\",\"as\":\"wheel\",\"pin_set\":true"));
		close(open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
		/* The factory PIN is gone. */
		st = sh(out, len, HSMCTL " login-status --user wheel --pin-file "
			DIR "/last-gasp 2>&1");
		ASSERT_EQ(5, st) TH_LOG("%s", out);
		ASSERT_NE(NULL, strstr(out, "PIN_INCORRECT"));
	}
	st = sh(out, len, HSMCTL " set-pin --user user --as so --pin-file " DIR
		"/so --new-pin-file " DIR "/user 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	/* SO may set only the user PIN: refused before any request. */
	st = sh(out, len, HSMCTL " set-pin --user wheel --as so --pin-file " DIR
		"/so --new-pin-file " DIR "/user 2>&1");
	ASSERT_EQ(2, st) TH_LOG("%s", out);

	st = sh(out, len, HSMCTL " login-status 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "not logged in"));
	st = sh(out, len, "HSMCTL_PIN=" HSM_USER_PIN " " HSMCTL " --json login-status --user user");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"user\":\"user\",\"logged_in\":true"));
	st = sh(out, len, HSMCTL " login-status --user so --pin-file " DIR "/so");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "logged in as so"));
	st = sh(out, len, HSMCTL " login-status --user user --pin-file " DIR "/wrong 2>&1");
	ASSERT_EQ(5, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "PIN_INCORRECT: wrong PIN")) TH_LOG("%s", out);
}

/* Verify @sig_file over @data_file with the public key in @pem_file. */
static int openssl_verify(char *out, size_t len, const char *hash,
			  const char *pem, const char *sig, const char *data)
{
	return sh(out, len, "openssl dgst -%s -verify " DIR "/%s -signature "
		  DIR "/%s " DIR "/%s 2>&1", hash, pem, sig, data);
}

/* An RSA-2048 generation and a dozen hsmctl runs: about 45 s of guest
 * time on a loaded host, more than the harness's default 30 s. */
TEST_F_TIMEOUT(cli, generate_list_sign_verify_delete, 300)
{
	char ec[37], rsa[37], path[128], *out = self->out;
	uint8_t rs[132], der[512];
	size_t len = sizeof(self->out);
	long n;
	int st;

	/* The user PIN comes from the environment in this test. */
	ASSERT_EQ(0, setenv("HSMCTL_PIN", HSM_USER_PIN, 1));
	/* Run alone, without bring_up_and_login_status: PINs by ioctl. */
	if (!hsm_path_exists("/run/hsm-test-pins-board0")) {
		int fd = hsm_t_open_dev(&self->d);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, hsm_t_bringup(fd, 0));
		close(fd);
	}

	st = sh(out, len, HSMCTL " --json key generate ec p256 --token "
		"--label hsmctl-test-ec --id 0a0b 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, json_uuid(out, ec)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"type\":\"ec-private\",\"algorithm\":\"ec\",\"curve\":\"P-256\",\"bits\":256,\"flags\":[\"sign\",\"token\"]"))
		TH_LOG("%s", out);
	/* The token is the board's label (cryptech-EMU00000), none without an id. */
	ASSERT_TRUE(strstr(out, "\"uri\":\"pkcs11:token=cryptech-") ||
		    strstr(out, "\"uri\":\"pkcs11:object="))
		TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, ";object=hsmctl-test-ec;id=%0A%0B;type=private\""));

	st = sh(out, len, HSMCTL " key generate rsa 2048 --token --label "
		"'hsmctl test rsa' 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, strncmp(out, "uuid:   ", 8)) TH_LOG("%s", out);
	snprintf(rsa, sizeof(rsa), "%s", out + 8);
	ASSERT_NE(NULL, strstr(out, "type:   rsa-private\nbits:   2048\nflags:  sign,token\n"
			       "label:  hsmctl test rsa\nid:     -\n"));
	ASSERT_NE(NULL, strstr(out, ";object=hsmctl%20test%20rsa;type=private\n"));

	/* Both are listed, as a table and as JSON. */
	st = sh(out, len, HSMCTL " key list --token 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(0, strncmp(out, "UUID", 4));
	ASSERT_NE(NULL, strstr(out, ec));
	ASSERT_NE(NULL, strstr(out, rsa));
	ASSERT_NE(NULL, strstr(out, "hsmctl-test-ec")) TH_LOG("%s", out);
	/* The id, then the URI column. */
	ASSERT_NE(NULL, strstr(out, "0a0b  pkcs11:")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " --json key list 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ('[', out[0]);
	ASSERT_NE(NULL, strstr(out, "\"label\":\"hsmctl test rsa\",\"uri\""));
	st = sh(out, len, HSMCTL " --json key list --session 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(NULL, strstr(out, ec));

	/* By label. */
	st = sh(out, len, HSMCTL " key info label:hsmctl-test-ec 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, ec));
	ASSERT_NE(NULL, strstr(out, "curve:  P-256\n"));

	/* ECDSA: r || s from the board, DER for openssl. */
	ASSERT_EQ(0, put("data", "the zone to sign\n"));
	st = sh(out, len, HSMCTL " key pubkey %s --pem > " DIR "/ec.pem", ec);
	ASSERT_EQ(0, st);
	st = sh(out, len, "openssl pkey -pubin -in " DIR "/ec.pem -noout -text 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "NIST CURVE: P-256")) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " key sign %s --in " DIR "/data --raw > " DIR "/ec.rs", ec);
	ASSERT_EQ(0, st);
	n = hsm_read_file(DIR "/ec.rs", rs, sizeof(rs));
	ASSERT_EQ(64, n);
	snprintf(path, sizeof(path), DIR "/ec.sig");
	ASSERT_EQ(0, hsm_write_file(path, der, hsm_ecdsa_to_der(rs, 64, der)));
	st = openssl_verify(out, len, "sha256", "ec.pem", "ec.sig", "data");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "Verified OK"));
	/* The same digest given as hex signs as well; a tampered one fails. */
	st = sh(out, len, "d=$(openssl dgst -sha256 -r " DIR "/data | cut -d' ' -f1) && "
		HSMCTL " key sign label:hsmctl-test-ec --digest $d --raw > " DIR "/ec.rs");
	ASSERT_EQ(0, st);
	n = hsm_read_file(DIR "/ec.rs", rs, sizeof(rs));
	ASSERT_EQ(64, n);
	ASSERT_EQ(0, hsm_write_file(path, der, hsm_ecdsa_to_der(rs, 64, der)));
	ASSERT_EQ(0, openssl_verify(out, len, "sha256", "ec.pem", "ec.sig", "data"));
	ASSERT_EQ(0, put("data2", "another zone\n"));
	ASSERT_NE(0, openssl_verify(out, len, "sha256", "ec.pem", "ec.sig", "data2"));

	/* RSA PKCS#1 v1.5 over a DigestInfo hsmctl builds, for SHA-256 and 512. */
	st = sh(out, len, HSMCTL " key pubkey %s > " DIR "/rsa.pem", rsa);
	ASSERT_EQ(0, st);
	st = sh(out, len, HSMCTL " key sign %s --in " DIR "/data --raw > " DIR "/rsa.sig", rsa);
	ASSERT_EQ(0, st);
	ASSERT_EQ(256, hsm_read_file(DIR "/rsa.sig", der, sizeof(der)));
	st = openssl_verify(out, len, "sha256", "rsa.pem", "rsa.sig", "data");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "Verified OK"));
	st = sh(out, len, HSMCTL " key sign %s --hash sha512 --in " DIR "/data --raw > "
		DIR "/rsa.sig", rsa);
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, openssl_verify(out, len, "sha512", "rsa.pem", "rsa.sig", "data"))
		TH_LOG("%s", out);
	ASSERT_NE(0, openssl_verify(out, len, "sha256", "rsa.pem", "rsa.sig", "data"));

	/* Delete both; they are gone from the list and by name. */
	st = sh(out, len, HSMCTL " key delete %s 2>&1", ec);
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "deleted "));
	st = sh(out, len, HSMCTL " --json key delete label:'hsmctl test rsa' 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, rsa));
	st = sh(out, len, HSMCTL " key list 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_EQ(NULL, strstr(out, ec));
	ASSERT_EQ(NULL, strstr(out, rsa));
	st = sh(out, len, HSMCTL " key info %s 2>&1", ec);
	ASSERT_EQ(7, st) TH_LOG("%s", out);
	st = sh(out, len, HSMCTL " key info label:hsmctl-test-ec 2>&1");
	ASSERT_EQ(7, st) TH_LOG("%s", out);

	/* A session key dies with its hsmctl command. */
	st = sh(out, len, HSMCTL " --json key generate ec p384 2>&1");
	ASSERT_EQ(0, st) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "session key"));
	ASSERT_EQ(0, json_uuid(out, ec));
	/* The driver ends a session after close() returns: wait for it. */
	ASSERT_TRUE(hsm_wait_until(sh(out, len, HSMCTL " key info %s --user wheel "
				      "--pin-file " DIR "/wheel 2>&1", ec) == 7,
				   HSM_WAIT_MS)) TH_LOG("%s", out);
}

HSM_TEST_HARNESS_MAIN
