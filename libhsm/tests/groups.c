// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The groups file: what it accepts, and that every mistake is refused with
 * the file, the line and the fix.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include <hsm/groups.h>

/* Writes @text to a new temporary file; its path in @path (32 bytes). */
static void write_conf(struct __test_metadata *_metadata, char *path,
		       const char *text)
{
	int fd;

	strcpy(path, "/tmp/hsm-groups-XXXXXX");
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(text), write(fd, text, strlen(text)));
	close(fd);
}

/* Loads @text; expects @want and, on error, @msg in the message. */
static void expect_load(struct __test_metadata *_metadata, const char *text,
			int want, const char *msg)
{
	struct hsm_group *g = (struct hsm_group *)1;
	char path[32], err[256];
	size_t n = 99;
	int ret;

	write_conf(_metadata, path, text);
	ret = hsm_groups_load(path, &g, &n, err, sizeof(err));
	unlink(path);
	EXPECT_EQ(want, ret) TH_LOG("file:\n%s\nmessage: %s", text, err);
	if (want) {
		EXPECT_EQ(NULL, g);
		EXPECT_EQ(0u, n);
		EXPECT_EQ(0, strncmp(err, path, strlen(path)))
			TH_LOG("message without the file: %s", err);
		EXPECT_NE(NULL, strstr(err, msg)) TH_LOG("message: %s", err);
	}
	hsm_groups_free(want ? NULL : g);
}

TEST(two_groups)
{
	static const char text[] =
		"# the registry's signers\n"
		"\n"
		"[group dnssec]\n"
		"  boards = EMU00000\tEMU00001   \n"
		"[ group  backup-2.x_y ]\n"
		"   # comment inside a group\n"
		"boards=A B C\n";
	struct hsm_group *g;
	char path[32], err[256];
	size_t n;

	write_conf(_metadata, path, text);
	ASSERT_EQ(0, hsm_groups_load(path, &g, &n, err, sizeof(err)))
		TH_LOG("%s", err);
	unlink(path);
	ASSERT_EQ(2u, n);
	EXPECT_STREQ("dnssec", g[0].name);
	EXPECT_STREQ("cryptech-grp-dnssec", g[0].label);
	ASSERT_EQ(2u, g[0].n_boards);
	EXPECT_STREQ("EMU00000", g[0].boards[0]);
	EXPECT_STREQ("EMU00001", g[0].boards[1]);
	EXPECT_STREQ("backup-2.x_y", g[1].name);
	ASSERT_EQ(3u, g[1].n_boards);
	EXPECT_STREQ("C", g[1].boards[2]);
	EXPECT_EQ(&g[0], hsm_group_of(g, n, "EMU00001"));
	EXPECT_EQ(&g[1], hsm_group_of(g, n, "A"));
	EXPECT_EQ(NULL, hsm_group_of(g, n, "EMU0000"));
	EXPECT_EQ(NULL, hsm_group_of(g, n, ""));
	EXPECT_EQ(NULL, hsm_group_of(NULL, 0, "A"));
	hsm_groups_free(g);
}

TEST(labels)
{
	static const char text[] =
		"[group abcdefghijklmnopqrs]\nboards = a b\n"	/* 19 bytes */
		"[group abcdefghijklmnopqrst]\nboards = c d\n";	/* 20 bytes */
	struct hsm_group *g;
	char path[32], err[256];
	size_t n;

	write_conf(_metadata, path, text);
	ASSERT_EQ(0, hsm_groups_load(path, &g, &n, err, sizeof(err)))
		TH_LOG("%s", err);
	unlink(path);
	ASSERT_EQ(2u, n);
	EXPECT_STREQ("cryptech-grp-abcdefghijklmnopqrs", g[0].label);
	/* Too long for 32 bytes: 10 bytes of the name and a hash. */
	EXPECT_EQ(0, strncmp(g[1].label, "cryptech-grp-abcdefghij-", 24));
	EXPECT_EQ(32u, strlen(g[1].label));
	EXPECT_EQ(strspn(g[1].label + 24, "0123456789abcdef"), 8u);
	hsm_groups_free(g);
}

TEST(empty_file_is_no_groups)
{
	expect_load(_metadata, "", 0, NULL);
	expect_load(_metadata, "# nothing yet\n\n", 0, NULL);
}

TEST(syntax_errors)
{
	expect_load(_metadata, "boards = a b\n", -EINVAL, ":1: \"boards = a b\" outside a section");
	expect_load(_metadata, "[group x]\nboards = a b\nlabel = y\n", -EINVAL,
		    ":3: unknown key \"label\"");
	expect_load(_metadata, "[group x]\nboards a b\n", -EINVAL, ":2: expected \"boards = ");
	expect_load(_metadata, "[groups x]\nboards = a b\n", -EINVAL, ":1: unknown section");
	expect_load(_metadata, "[group x\nboards = a b\n", -EINVAL, ":1: a section header ends with ']'");
	expect_load(_metadata, "[group ]\n", -EINVAL, ":1: empty group name");
	expect_load(_metadata, "[group a/b]\nboards = a b\n", -EINVAL, ":1: group name \"a/b\" has a byte");
	expect_load(_metadata, "[group abcdefghijklmnopqrstu]\nboards = a b\n", -EINVAL,
		    ":1: group name \"abcdefghijklmnopqrstu\" is longer than 20 bytes");
	expect_load(_metadata, "[group x]\nboards = a b\n\n[group x]\nboards = c d\n", -EINVAL,
		    ":4: group \"x\" is already defined at line 1");
	expect_load(_metadata, "[group x]\nboards = a b\nboards = c d\n", -EINVAL,
		    ":3: group \"x\" already has a \"boards =\" line (line 2)");
	expect_load(_metadata, "[group x]\nboards = a\n", -EINVAL,
		    ":2: group \"x\" needs at least 2 boards, has 1");
	expect_load(_metadata, "[group x]\nboards =\n", -EINVAL, "needs at least 2 boards, has 0");
	expect_load(_metadata, "[group x]\nboards = a b a\n", -EINVAL,
		    ":2: board \"a\" is listed twice in group \"x\"");
	expect_load(_metadata, "[group x]\nboards = a b\n[group y]\nboards = c b\n", -EINVAL,
		    ":4: board \"b\" is already in group \"x\" (line 2)");
	expect_load(_metadata, "[group x]\nboards = 1 2 3 4 5 6 7 8 9\n", -EINVAL,
		    ":2: group \"x\" has more than 8 boards");
	expect_load(_metadata, "[group x]\n# no boards\n[group y]\nboards = a b\n", -EINVAL,
		    ":1: group \"x\" has no \"boards =\" line");
	expect_load(_metadata, "[group y]\nboards = a b\n[group x]\n", -EINVAL,
		    ":3: group \"x\" has no \"boards =\" line");
	expect_load(_metadata, "[group x]\nboards = a \x01 b\n", -EINVAL,
		    ":2: board identity 2 has a byte that is not printable");
	expect_load(_metadata, "[group x]\nboards = a "
		    "0123456789012345678901234567890123456789012345678901234567890123\n",
		    -EINVAL, ":2: board identity \"01234567890123456789...\" is longer than 63");
}

TEST(nul_byte)
{
	struct hsm_group *g;
	char path[32], err[256];
	size_t n;
	int fd;

	strcpy(path, "/tmp/hsm-groups-XXXXXX");
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(20, write(fd, "[group x]\nboards = \0a", 20));
	close(fd);
	EXPECT_EQ(-EINVAL, hsm_groups_load(path, &g, &n, err, sizeof(err)));
	unlink(path);
	EXPECT_NE(NULL, strstr(err, ":2: a NUL byte")) TH_LOG("%s", err);
}

TEST(missing_files)
{
	struct hsm_group *g;
	char err[256];
	size_t n;

	/* An explicit file must exist... */
	EXPECT_EQ(-ENOENT, hsm_groups_load("/nonexistent/groups.conf", &g, &n,
					   err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "/nonexistent/groups.conf: cannot open"))
		TH_LOG("%s", err);
	ASSERT_EQ(0, setenv("HSM_GROUPS_CONF", "/nonexistent/env.conf", 1));
	EXPECT_EQ(-ENOENT, hsm_groups_load(NULL, &g, &n, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "/nonexistent/env.conf: cannot open"))
		TH_LOG("%s", err);
	/* ...the default one need not (unless this host has one). */
	ASSERT_EQ(0, unsetenv("HSM_GROUPS_CONF"));
	if (access(HSM_GROUPS_CONF_DEFAULT, F_OK) != 0) {
		g = (struct hsm_group *)1;
		n = 5;
		EXPECT_EQ(0, hsm_groups_load(NULL, &g, &n, err, sizeof(err)));
		EXPECT_EQ(NULL, g);
		EXPECT_EQ(0u, n);
		EXPECT_STREQ("", err);
	}
	EXPECT_EQ(-EINVAL, hsm_groups_load(NULL, NULL, &n, err, sizeof(err)));
}

TEST(env_names_the_file)
{
	struct hsm_group *g;
	char path[32], err[256];
	size_t n;

	write_conf(_metadata, path, "[group e]\nboards = p q\n");
	ASSERT_EQ(0, setenv("HSM_GROUPS_CONF", path, 1));
	ASSERT_EQ(0, hsm_groups_load(NULL, &g, &n, err, sizeof(err)))
		TH_LOG("%s", err);
	unsetenv("HSM_GROUPS_CONF");
	unlink(path);
	ASSERT_EQ(1u, n);
	EXPECT_STREQ("e", g[0].name);
	hsm_groups_free(g);
}

TEST_HARNESS_MAIN
