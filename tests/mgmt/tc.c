// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tc.h"

int tc_failures;
static uint32_t tc_seq = 1000;

pid_t tc_daemon_spawn(const char *uvdpad, const char *rundir, const char *log)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execl(uvdpad, uvdpad, "-r", rundir, "-l", "debug", (char *)NULL);
		_exit(127);
	}
	return pid;
}

int tc_wait_exit(pid_t pid, int ms)
{
	int st, i;

	for (i = 0; i < ms / 10 + 1; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

bool tc_daemon_wait_ready(const char *sock, pid_t pid)
{
	int i;

	for (i = 0; i < 1000; i++) {
		int fd = tc_connect(sock);

		if (fd >= 0) {
			close(fd);
			return true;
		}
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		usleep(10000);
	}
	return false;
}

void tc_daemon_start(struct tc_daemon *d, const char *uvdpad)
{
	snprintf(d->rundir, sizeof(d->rundir), "/tmp/uvdpa-mgmt-test.XXXXXX");
	REQUIRE(mkdtemp(d->rundir), "mkdtemp: %s", strerror(errno));
	snprintf(d->sock, sizeof(d->sock), "%s/uvdpa.sock", d->rundir);
	snprintf(d->log, sizeof(d->log), "%s.log", d->rundir);
	d->pid = tc_daemon_spawn(uvdpad, d->rundir, d->log);
	REQUIRE(tc_daemon_wait_ready(d->sock, d->pid), "uvdpad did not start (log %s)", d->log);
}

bool tc_daemon_alive(const struct tc_daemon *d)
{
	return d->pid > 0 && waitpid(d->pid, NULL, WNOHANG) == 0;
}

int tc_daemon_stop(struct tc_daemon *d)
{
	int st;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	/* Generous: ASan builds tear down slowly. */
	st = tc_wait_exit(d->pid, 30000);
	if (st < 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	d->pid = 0;
	return st;
}

void tc_rmdir_files(const char *dir)
{
	char path[600];
	struct dirent *e;
	DIR *dh = opendir(dir);

	if (!dh)
		return;
	while ((e = readdir(dh))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(dh);
	rmdir(dir);
}

void tc_daemon_cleanup(struct tc_daemon *d)
{
	char path[600];
	struct dirent *e;
	DIR *dir = opendir(d->rundir);
	FILE *log;

	if (d->pid > 0)
		tc_daemon_stop(d);
	if (dir) {
		while ((e = readdir(dir))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", d->rundir, e->d_name);
			if (unlink(path) < 0 && errno == EISDIR)
				tc_rmdir_files(path);
		}
		closedir(dir);
	}
	rmdir(d->rundir);
	/* Show the daemon's log when something failed. */
	log = tc_failures ? fopen(d->log, "r") : NULL;
	if (log) {
		char line[512];

		printf("--- uvdpad log\n");
		while (fgets(line, sizeof(line), log))
			printf("%s", line);
		fclose(log);
	}
	unlink(d->log);
}

int tc_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct nlmsghdr *tc_req(void *buf, uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = ++tc_seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static void parse_error(const struct nlmsghdr *nlh, struct tc_result *res)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	size_t off = sizeof(*e);

	res->error = e->error;
	res->err_flags = nlh->nlmsg_flags;
	res->err_msg = malloc(nlh->nlmsg_len);
	memcpy(res->err_msg, nlh, nlh->nlmsg_len);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(a, nlh, off) {
		switch (mnl_attr_get_type(a)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(res->extack, sizeof(res->extack), "%s", mnl_attr_get_str(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			res->has_offs = true;
			res->offs = mnl_attr_get_u32(a);
			break;
		case NLMSGERR_ATTR_POLICY:
			res->has_policy = true;
			break;
		}
	}
}

/* Reads datagrams until the request's ERROR/DONE (or one reply if !want_ack). */
static bool collect(int fd, uint32_t seq, bool any_seq, bool want_ack, bool dump,
		    struct tc_result *res)
{
	static unsigned char buf[65536];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		const struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		if (poll(&p, 1, 5000) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return false;
		res->n_dgrams++;
		if ((size_t)n > res->max_dgram)
			res->max_dgram = (size_t)n;
		len = (int)n;
		for (nlh = (const void *)buf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (!any_seq && nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				parse_error(nlh, res);
				return true;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				res->done = true;
				return true;
			}
			if (res->n_msgs < TC_MAX_MSGS) {
				res->msgs[res->n_msgs] = malloc(nlh->nlmsg_len);
				memcpy(res->msgs[res->n_msgs], nlh, nlh->nlmsg_len);
				res->n_msgs++;
			}
			if (!want_ack && !dump)
				return true;
		}
	}
}

bool tc_transact(int fd, const struct nlmsghdr *req, struct tc_result *res)
{
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

	memset(res, 0, sizeof(*res));
	res->error = 1;
	if (send(fd, req, req->nlmsg_len, 0) != (ssize_t)req->nlmsg_len)
		return false;
	return collect(fd, req->nlmsg_seq, false, req->nlmsg_flags & NLM_F_ACK, dump, res);
}

bool tc_transact_raw(int fd, const void *buf, size_t len, struct tc_result *res)
{
	memset(res, 0, sizeof(*res));
	res->error = 1;
	if (send(fd, buf, len, 0) != (ssize_t)len)
		return false;
	return collect(fd, 0, true, true, false, res);
}

void tc_result_free(struct tc_result *res)
{
	unsigned i;

	for (i = 0; i < res->n_msgs; i++)
		free(res->msgs[i]);
	free(res->err_msg);
	res->n_msgs = 0;
	res->err_msg = NULL;
}

const struct genlmsghdr *tc_genl(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload(nlh);
}

const struct nlattr *tc_attr_at(const struct nlmsghdr *nlh, unsigned i)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (i-- == 0)
			return a;
	return NULL;
}

const struct nlattr *tc_attr_find(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

unsigned tc_attr_count(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;
	unsigned n = 0;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		n++;
	return n;
}

bool tc_attr_types(const struct nlmsghdr *nlh, const uint16_t *want, unsigned n)
{
	unsigned i;

	if (tc_attr_count(nlh) != n) {
		printf("#   attribute count %u, want %u\n", tc_attr_count(nlh), n);
		return false;
	}
	for (i = 0; i < n; i++)
		if (mnl_attr_get_type(tc_attr_at(nlh, i)) != want[i]) {
			printf("#   attribute %u has type %u, want %u\n", i,
			       mnl_attr_get_type(tc_attr_at(nlh, i)), want[i]);
			return false;
		}
	return true;
}

uint16_t tc_family(int fd)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh = tc_req(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK,
				      CTRL_CMD_GETFAMILY);
	struct tc_result res;
	const struct nlattr *a;
	uint16_t id = 0;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "vdpa");
	REQUIRE(tc_transact(fd, nlh, &res) && res.error == 0 && res.n_msgs == 1,
		"family lookup failed (%d)", res.error);
	mnl_attr_for_each(a, res.msgs[0], GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			id = mnl_attr_get_u16(a);
	tc_result_free(&res);
	return id;
}

int tc_dev_add(int fd, uint16_t fam, const char *name, const char *mgmtdev,
	       struct tc_result *res)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK, UVDPA_CMD_DEV_NEW);
	struct tc_result local;
	int err;

	mnl_attr_put_strz(nlh, UVDPA_ATTR_MGMTDEV_DEV_NAME, mgmtdev);
	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, name);
	if (!res)
		res = &local;
	if (!tc_transact(fd, nlh, res))
		return 1;
	err = res->error;
	if (res == &local)
		tc_result_free(res);
	return err;
}

int tc_dev_del(int fd, uint16_t fam, const char *name, struct tc_result *res)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK, UVDPA_CMD_DEV_DEL);
	struct tc_result local;
	int err;

	mnl_attr_put_strz(nlh, UVDPA_ATTR_DEV_NAME, name);
	if (!res)
		res = &local;
	if (!tc_transact(fd, nlh, res))
		return 1;
	err = res->error;
	if (res == &local)
		tc_result_free(res);
	return err;
}

int tc_dev_count(int fd, uint16_t fam)
{
	unsigned char buf[4096];
	struct nlmsghdr *nlh = tc_req(buf, fam, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
				      UVDPA_CMD_DEV_GET);
	struct tc_result res;
	int n;

	if (!tc_transact(fd, nlh, &res) || !res.done) {
		tc_result_free(&res);
		return -1;
	}
	n = (int)res.n_msgs;
	tc_result_free(&res);
	return n;
}
