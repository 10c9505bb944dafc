// SPDX-License-Identifier: GPL-2.0-or-later
/* hsmctl attach TTY, hsmctl detach [DEV]. */
#include <errno.h>
#include <stdio.h>

#include <hsm/hsm.h>

#include "board_out.h"
#include "cli.h"
#include "exitcodes.h"
#include "probe.h"
#include "report.h"

#define ADMIN_HINT "attaching and detaching boards needs CAP_SYS_ADMIN: run as root"

int cmd_attach(struct cli *c, int argc, char **argv)
{
	struct hsm_board_desc d;
	char errmsg[256], what[300], ver[20];
	char *pos[1];
	int ret, n;

	ret = cli_parse(c, "attach", argc, argv, NULL, NULL, pos, 1, &n);
	if (ret >= 0)
		return ret;
	if (n != 1)
		return report_usage("attach: which tty? (hsmctl attach /dev/ttyUSB0)");
	if (c->device)
		return report_usage("attach: -d makes no sense here: the kernel picks the device");

	ret = attach_loading_module(pos[0], &d, errmsg, sizeof(errmsg));
	if (ret) {
		snprintf(what, sizeof(what), "attach %s", pos[0]);
		return report_failure(what, ret, 0, errmsg,
				      ret == -EPERM ? ADMIN_HINT : NULL);
	}
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		board_json(&j, &d);
		json_end(&j);
	} else {
		hsm_format_version(d.protocol_version, ver, sizeof(ver));
		printf("%s attached on %s (protocol %s, id %s)\n", d.dev_name,
		       d.tty_name[0] ? d.tty_name : pos[0], ver,
		       d.board_id[0] ? d.board_id : "unknown");
	}
	return HSMCTL_EXIT_OK;
}

int cmd_detach(struct cli *c, int argc, char **argv)
{
	char errmsg[256], what[64], name[32];
	char *pos[1];
	uint32_t index;
	int ret, n;

	ret = cli_parse(c, "detach", argc, argv, NULL, NULL, pos, 1, &n);
	if (ret >= 0)
		return ret;
	ret = cli_board_index(c, n ? pos[0] : NULL, "detach", &index);
	if (ret >= 0)
		return ret;

	snprintf(name, sizeof(name), "hsm%u", index);
	ret = hsm_detach(index, errmsg, sizeof(errmsg));
	if (ret) {
		snprintf(what, sizeof(what), "detach %s", name);
		return report_failure(what, ret, 0, errmsg,
				      ret == -EPERM ? ADMIN_HINT : NULL);
	}
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_kv_u64(&j, "index", index);
		json_kv_string(&j, "device", name);
		json_kv_bool(&j, "detached", 1);
		json_object_end(&j);
		json_end(&j);
	} else {
		printf("%s detached\n", name);
	}
	return HSMCTL_EXIT_OK;
}
