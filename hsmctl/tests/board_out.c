// SPDX-License-Identifier: GPL-2.0-or-later
/* Board output: the JSON shape (checked by a real JSON parser) and tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "json_check.h"

#include "board_out.h"

static void sample(struct hsm_board_desc *d, uint32_t index, const char *tty)
{
	memset(d, 0, sizeof(*d));
	d->index = index;
	snprintf(d->dev_name, sizeof(d->dev_name), "hsm%u", index);
	snprintf(d->tty_name, sizeof(d->tty_name), "%s", tty);
	d->protocol_version = 0x01010100;
	d->state = HSM_BOARD_READY;
	d->stats.requests = 123456789012ull;
	d->stats.errors = 2;
	d->stats.timeouts = 1;
	d->stats.proto_errors = 3;
	d->stats.in_flight = 4;
	d->stats.bytes_in = 5;
	d->stats.bytes_out = 6;
	d->stats.sessions = 7;
}

static char *render_list(const struct hsm_board_desc *d, size_t n)
{
	struct json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	size_t i;

	json_init(&j, f);
	json_array_begin(&j);
	for (i = 0; i < n; i++)
		board_json(&j, &d[i]);
	json_array_end(&j);
	json_end(&j);
	fclose(f);
	return buf;
}

TEST(json_shape)
{
	struct hsm_board_desc d[2];
	char *doc;

	sample(&d[0], 0, "ttyUSB0");
	sample(&d[1], 1, "tty\"weird\\\n\x01\xff");
	strcpy(d[1].board_id, "FT4XYZ01");
	d[1].board_id_kind = HSM_BOARD_ID_USB_SERIAL;
	d[1].kernel_user = HSM_USER_NORMAL;
	doc = render_list(d, 2);
	EXPECT_EQ(0, python_check(doc,
		"assert len(d) == 2; b = d[0]; "
		"assert b == {\"index\": 0, \"device\": \"hsm0\", \"path\": \"/dev/hsm0\", "
		"\"tty\": \"ttyUSB0\", \"board_id\": None, \"board_id_kind\": None, "
		"\"token\": None, \"protocol\": \"1.1.1.0\", "
		"\"protocol_version\": 16843008, \"state\": \"ready\", "
		"\"kernel_session\": {\"logged_in\": False, \"user\": \"none\"}, "
		"\"stats\": {\"requests\": 123456789012, \"errors\": 2, "
		"\"timeouts\": 1, \"proto_errors\": 3, \"in_flight\": 4, "
		"\"bytes_in\": 5, \"bytes_out\": 6, \"sessions\": 7}}, b; "
		"assert d[1][\"tty\"] == \"tty\\\"weird\\\\\\n\\x01\\ufffd\", d[1]; "
		"assert d[1][\"board_id\"] == \"FT4XYZ01\", d[1]; "
		"assert d[1][\"board_id_kind\"] == \"usb-serial\", d[1]; "
		"assert d[1][\"token\"] == \"cryptech-FT4XYZ01\", d[1]; "
		"assert d[1][\"kernel_session\"] == {\"logged_in\": True, \"user\": \"user\"}, d[1]"))
		TH_LOG("%s", doc);
	free(doc);
}

TEST(json_empty_list)
{
	char *doc = render_list(NULL, 0);

	EXPECT_STREQ("[]\n", doc);
	EXPECT_EQ(0, python_check(doc, "assert d == []"));
	free(doc);
}

TEST(table)
{
	struct hsm_board_desc d[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sample(&d[0], 0, "ttyUSB0");
	sample(&d[1], 10, "ttyUSB1");
	d[1].state = HSM_BOARD_GONE;
	strcpy(d[1].board_id, "EMU00001");
	d[1].kernel_user = HSM_USER_WHEEL;
	board_table(f, d, 2);
	fclose(f);
	EXPECT_STREQ(
		"DEVICE  ID        TTY      PROTOCOL  STATE  KLOGIN      REQUESTS  ERRORS  TIMEOUTS  PROTO_ERR  INFLIGHT  SESSIONS\n"
		"hsm0    -         ttyUSB0  1.1.1.0   ready  -       123456789012       2         1          3         4         7\n"
		"hsm10   EMU00001  ttyUSB1  1.1.1.0   gone   wheel   123456789012       2         1          3         4         7\n",
		buf);
	free(buf);
}

TEST(table_header_only)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	board_table(f, NULL, 0);
	fclose(f);
	EXPECT_STREQ("DEVICE  ID  TTY  PROTOCOL  STATE  KLOGIN  REQUESTS  ERRORS  TIMEOUTS  PROTO_ERR  INFLIGHT  SESSIONS\n",
		     buf);
	free(buf);
}

TEST(details)
{
	struct hsm_board_desc d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sample(&d, 2, "ttyACM0");
	board_details(f, &d);
	fclose(f);
	EXPECT_NE(NULL, strstr(buf, "device:        hsm2 (/dev/hsm2)\n"));
	EXPECT_NE(NULL, strstr(buf, "tty:           ttyACM0\n"));
	EXPECT_NE(NULL, strstr(buf, "protocol:      1.1.1.0 (0x01010100)\n"));
	EXPECT_NE(NULL, strstr(buf, "state:         ready\n"));
	EXPECT_NE(NULL, strstr(buf, "requests:      123456789012\n"));
	EXPECT_NE(NULL, strstr(buf, "sessions:      7\n"));
	EXPECT_NE(NULL, strstr(buf, "kernel login:  none (in-kernel private-key use needs 'hsmctl kernel-login')\n"));
	/* Without an identity (an older kernel) it says so. */
	EXPECT_NE(NULL, strstr(buf, "board id:      unknown"));
	EXPECT_NE(NULL, strstr(buf, "token:         - (no board id)\n"));
	free(buf);
}

TEST(details_identity)
{
	struct hsm_board_desc d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sample(&d, 0, "ttyUSB0");
	strcpy(d.board_id, "EMU00000");
	d.board_id_kind = HSM_BOARD_ID_USB_SERIAL;
	board_details(f, &d);
	strcpy(d.board_id, "tty-ttyS0");
	d.board_id_kind = HSM_BOARD_ID_TTY;
	board_details(f, &d);
	fclose(f);
	EXPECT_NE(NULL, strstr(buf, "board id:      EMU00000 (USB serial number)\n"));
	EXPECT_NE(NULL, strstr(buf, "token:         cryptech-EMU00000\n"));
	EXPECT_NE(NULL, strstr(buf, "board id:      tty-ttyS0 (tty name: not stable)\n"));
	free(buf);
}

TEST_HARNESS_MAIN
