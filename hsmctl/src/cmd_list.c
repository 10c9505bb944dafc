// SPDX-License-Identifier: GPL-2.0-or-later
/* hsmctl list, hsmctl info [DEV]. */
#include <stdio.h>

#include <hsm/hsm.h>

#include "board_out.h"
#include "cli.h"
#include "exitcodes.h"
#include "report.h"

int cmd_list(struct cli *c, int argc, char **argv)
{
	struct hsm_board_desc *b;
	char errmsg[256];
	char *pos[1];
	size_t n, i;
	int ret, np;

	ret = cli_parse(c, "list", argc, argv, NULL, NULL, pos, 0, &np);
	if (ret >= 0)
		return ret;
	if (c->device)
		return report_usage("list: -d makes no sense here; see 'hsmctl info DEV'");

	ret = hsm_list_boards(&b, &n, errmsg, sizeof(errmsg));
	if (ret)
		return report_failure("cannot list boards", ret, 0, errmsg, NULL);
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_array_begin(&j);
		for (i = 0; i < n; i++)
			board_json(&j, &b[i]);
		json_array_end(&j);
		json_end(&j);
	} else {
		board_table(stdout, b, n);
	}
	hsm_free_boards(b);
	return HSMCTL_EXIT_OK;
}

int cmd_info(struct cli *c, int argc, char **argv)
{
	struct hsm_board_desc d;
	char errmsg[256], what[64];
	char *pos[1];
	uint32_t index;
	int ret, n;

	ret = cli_parse(c, "info", argc, argv, NULL, NULL, pos, 1, &n);
	if (ret >= 0)
		return ret;
	ret = cli_board_index(c, n ? pos[0] : NULL, "info", &index);
	if (ret >= 0)
		return ret;

	ret = hsm_get_board(index, &d, errmsg, sizeof(errmsg));
	if (ret) {
		snprintf(what, sizeof(what), "info hsm%u", index);
		return report_failure(what, ret, 0, errmsg, NULL);
	}
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		board_json(&j, &d);
		json_end(&j);
	} else {
		board_details(stdout, &d);
	}
	return HSMCTL_EXIT_OK;
}
