// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The groups file: redundancy groups of boards named by their stable
 * identities. A small, strict format (Documentation/admin-guide/groups.rst):
 *
 *	# comment
 *	[group NAME]
 *	boards = ID ID ...
 *
 * Anything else is refused with the file, the line and the fix, because a
 * group that silently lost a board would single-home keys.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hsm/groups.h>
#include <openssl/sha.h>

#define LABEL_PREFIX	"cryptech-grp-"
#define LABEL_MAX	32
#define BOARD_ID_MAX	63

struct parser {
	const char *path;
	unsigned int line;
	struct hsm_group *groups;
	size_t n, cap;
	unsigned int *group_line;	/* line of each [group] header */
	unsigned int *boards_line;	/* line of its boards =, 0 if none yet */
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, int ret, const char *fmt, ...)
{
	va_list ap;
	int off;

	if (!p->err || !p->errlen)
		return ret;
	if (p->line)
		off = snprintf(p->err, p->errlen, "%s:%u: ", p->path, p->line);
	else
		off = snprintf(p->err, p->errlen, "%s: ", p->path);
	if (off < 0 || (size_t)off >= p->errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(p->err + off, p->errlen - off, fmt, ap);
	va_end(ap);
	return ret;
}

static int name_char_ok(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *skip_blanks(char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

static void trim_right(char *s)
{
	size_t n = strlen(s);

	while (n && (is_blank(s[n - 1]) || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* "cryptech-grp-" and @name, or its first 10 bytes, '-' and a short hash. */
static void group_label(const char *name, char *label)
{
	static const char hex[] = "0123456789abcdef";
	size_t plen = strlen(LABEL_PREFIX), n = strlen(name);
	unsigned char d[SHA256_DIGEST_LENGTH];
	char *q;
	int i;

	memcpy(label, LABEL_PREFIX, plen);
	if (plen + n <= LABEL_MAX) {
		memcpy(label + plen, name, n + 1);
		return;
	}
	q = label + plen;
	memcpy(q, name, 10);
	q += 10;
	*q++ = '-';
	SHA256((const unsigned char *)name, n, d);
	for (i = 0; i < 4; i++) {
		*q++ = hex[d[i] >> 4];
		*q++ = hex[d[i] & 15];
	}
	*q = '\0';
}

static int check_group_name(struct parser *p, const char *name)
{
	const char *c;

	if (!*name)
		return fail(p, -EINVAL, "empty group name; write [group NAME]");
	if (strlen(name) > HSM_GROUP_NAME_MAX)
		return fail(p, -EINVAL, "group name \"%.40s\" is longer than %d bytes; shorten it",
			    name, HSM_GROUP_NAME_MAX);
	for (c = name; *c; c++)
		if (!name_char_ok((unsigned char)*c))
			return fail(p, -EINVAL,
				    "group name \"%.40s\" has a byte outside [A-Za-z0-9._-]; rename the group",
				    name);
	return 0;
}

/* A group that ended (next header or end of file) must have its boards. */
static int close_group(struct parser *p)
{
	struct hsm_group *g;
	unsigned int line = p->line;
	int ret = 0;

	if (!p->n)
		return 0;
	g = &p->groups[p->n - 1];
	p->line = p->group_line[p->n - 1];
	if (!p->boards_line[p->n - 1])
		ret = fail(p, -EINVAL, "group \"%s\" has no \"boards =\" line; list its boards' identities (hsmctl list shows them)",
			   g->name);
	p->line = line;
	return ret;
}

static int parse_header(struct parser *p, char *s)
{
	struct hsm_group *g;
	char *name, *end;
	size_t i;
	int ret;

	end = s + strlen(s) - 1;
	if (*end != ']')
		return fail(p, -EINVAL, "a section header ends with ']'; write [group NAME]");
	*end = '\0';
	s = skip_blanks(s + 1);
	if (strncmp(s, "group", 5) != 0 || !is_blank(s[5]))
		return fail(p, -EINVAL, "unknown section \"[%.40s]\"; the only section is [group NAME]", s);
	name = skip_blanks(s + 5);
	trim_right(name);
	ret = check_group_name(p, name);
	if (ret)
		return ret;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->groups[i].name, name) == 0)
			return fail(p, -EINVAL, "group \"%s\" is already defined at line %u; give each group its own name",
				    name, p->group_line[i]);
	ret = close_group(p);
	if (ret)
		return ret;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 4;
		struct hsm_group *ng = realloc(p->groups, cap * sizeof(*ng));
		unsigned int *gl, *bl;

		if (!ng)
			return fail(p, -ENOMEM, "out of memory");
		p->groups = ng;
		gl = realloc(p->group_line, cap * sizeof(*gl));
		if (!gl)
			return fail(p, -ENOMEM, "out of memory");
		p->group_line = gl;
		bl = realloc(p->boards_line, cap * sizeof(*bl));
		if (!bl)
			return fail(p, -ENOMEM, "out of memory");
		p->boards_line = bl;
		p->cap = cap;
	}
	g = &p->groups[p->n];
	memset(g, 0, sizeof(*g));
	strcpy(g->name, name);
	group_label(name, g->label);
	p->group_line[p->n] = p->line;
	p->boards_line[p->n] = 0;
	p->n++;
	return 0;
}

/* Where board @id already is: its group, or -1. */
static int board_group(const struct parser *p, const char *id)
{
	size_t i, j;

	for (i = 0; i < p->n; i++)
		for (j = 0; j < p->groups[i].n_boards; j++)
			if (strcmp(p->groups[i].boards[j], id) == 0)
				return (int)i;
	return -1;
}

static int parse_boards(struct parser *p, char *list)
{
	struct hsm_group *g = &p->groups[p->n - 1];
	char *save = NULL, *id;
	const char *c;
	int other;

	if (p->boards_line[p->n - 1])
		return fail(p, -EINVAL, "group \"%s\" already has a \"boards =\" line (line %u); list every board on one line",
			    g->name, p->boards_line[p->n - 1]);
	p->boards_line[p->n - 1] = p->line;
	for (id = strtok_r(list, " \t", &save); id; id = strtok_r(NULL, " \t", &save)) {
		if (strlen(id) > BOARD_ID_MAX)
			return fail(p, -EINVAL, "board identity \"%.20s...\" is longer than %d bytes; copy it from hsmctl list",
				    id, BOARD_ID_MAX);
		for (c = id; *c; c++)
			if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
				return fail(p, -EINVAL, "board identity %zu has a byte that is not printable ASCII; copy it from hsmctl list",
					    g->n_boards + 1);
		other = board_group(p, id);
		if (other == (int)p->n - 1)
			return fail(p, -EINVAL, "board \"%s\" is listed twice in group \"%s\"; list it once",
				    id, g->name);
		if (other >= 0)
			return fail(p, -EINVAL, "board \"%s\" is already in group \"%s\" (line %u); a board belongs to one group at most",
				    id, p->groups[other].name, p->boards_line[other]);
		if (g->n_boards == HSM_GROUP_MAX_BOARDS)
			return fail(p, -EINVAL, "group \"%s\" has more than %d boards; split it",
				    g->name, HSM_GROUP_MAX_BOARDS);
		strcpy(g->boards[g->n_boards++], id);
	}
	if (g->n_boards < 2)
		return fail(p, -EINVAL, "group \"%s\" needs at least 2 boards, has %zu; add a board or remove the group",
			    g->name, g->n_boards);
	return 0;
}

static int parse_line(struct parser *p, char *s)
{
	char *eq, *key;

	trim_right(s);
	s = skip_blanks(s);
	if (!*s || *s == '#')
		return 0;
	if (*s == '[')
		return parse_header(p, s);
	if (!p->n)
		return fail(p, -EINVAL, "\"%.40s\" outside a section; start with [group NAME]", s);
	eq = strchr(s, '=');
	if (!eq)
		return fail(p, -EINVAL, "expected \"boards = ID ID ...\", got \"%.40s\"", s);
	*eq = '\0';
	key = s;
	trim_right(key);
	if (strcmp(key, "boards") != 0)
		return fail(p, -EINVAL, "unknown key \"%.40s\"; the only key is \"boards\"", key);
	return parse_boards(p, eq + 1);
}

static int parse_file(struct parser *p, FILE *f)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	while ((len = getline(&buf, &cap, f)) >= 0) {
		p->line++;
		if (memchr(buf, '\0', (size_t)len)) {
			ret = fail(p, -EINVAL, "a NUL byte; the file must be text");
			break;
		}
		ret = parse_line(p, buf);
		if (ret)
			break;
	}
	if (!ret && ferror(f))
		ret = fail(p, -EIO, "read error; check the file");
	if (!ret)
		ret = close_group(p);
	free(buf);
	return ret;
}

int hsm_groups_load(const char *path, struct hsm_group **out, size_t *n,
		    char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	int explicit = 1, ret;
	FILE *f;

	if (!out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path) {
		/* secure_getenv: never from a setuid program's environment. */
		path = secure_getenv("HSM_GROUPS_CONF");
		if (!path || !*path) {
			path = HSM_GROUPS_CONF_DEFAULT;
			explicit = 0;
		}
	}
	p.path = path;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		if (ret == -ENOENT && !explicit)
			return 0;
		return fail(&p, ret, "cannot open: %s; create it or fix the path (HSM_GROUPS_CONF)",
			    strerror(-ret));
	}
	ret = parse_file(&p, f);
	fclose(f);
	free(p.group_line);
	free(p.boards_line);
	if (ret) {
		free(p.groups);
		return ret;
	}
	*out = p.groups;
	*n = p.n;
	return 0;
}

void hsm_groups_free(struct hsm_group *groups)
{
	free(groups);
}

const struct hsm_group *hsm_group_of(const struct hsm_group *groups, size_t n,
				     const char *board_id)
{
	size_t i, j;

	if (!groups || !board_id || !*board_id)
		return NULL;
	for (i = 0; i < n; i++)
		for (j = 0; j < groups[i].n_boards; j++)
			if (strcmp(groups[i].boards[j], board_id) == 0)
				return &groups[i];
	return NULL;
}
