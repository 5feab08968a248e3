// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/virtio_config.h>

#include "hostile.h"
#include "hostile_mgmt.h"

unsigned hd_mult(void)
{
	const char *m = getenv("UVDPA_TIMEOUT_MULT");
	unsigned v = m ? (unsigned)atoi(m) : 1;

	return v ? v : 1;
}

/* A failing CHECK exits: the daemon must not outlive the test. */
static pid_t started;
static char started_log[320];

#define LOG_TAIL 20

/* A CI log shows only the test's output: bring the daemon's last words. */
static void print_log_tail(const char *path)
{
	char ring[LOG_TAIL][256];
	unsigned n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(ring[n % LOG_TAIL], sizeof(ring[0]), f))
		n++;
	fclose(f);
	printf("# the end of uvdpad's log (%s):\n", path);
	for (unsigned i = n > LOG_TAIL ? n - LOG_TAIL : 0; i < n; i++)
		printf("#   %s%s", ring[i % LOG_TAIL], strchr(ring[i % LOG_TAIL], '\n') ? "" : "\n");
}

static void kill_daemon(void)
{
	if (started > 0 && waitpid(started, NULL, WNOHANG) == 0) {
		/* still running: the test failed before it stopped the daemon */
		print_log_tail(started_log);
		fflush(stdout);
		kill(started, SIGKILL);
		waitpid(started, NULL, 0);
	}
}

void hd_start(struct hd *d, const char *uvdpad)
{
	memset(d, 0, sizeof(*d));
	atexit(kill_daemon);
	REQUIRE(uvdpad, "usage: test UVDPAD");
	REQUIRE(!hm_start(uvdpad, &d->pid, d->rundir, sizeof(d->rundir), d->log,
			  sizeof(d->log), &d->mgmt, &d->fam), "uvdpad started");
	started = d->pid;
	snprintf(started_log, sizeof(started_log), "%s", d->log);
}

bool hd_alive(const struct hd *d)
{
	/* A dying daemon closes its sockets before it can be reaped: watch
	 * it for a moment rather than trust one look. */
	for (int i = 0; i < 20; i++) {
		if (d->pid <= 0 || waitpid(d->pid, NULL, WNOHANG) != 0)
			return false;
		usleep(10000);
	}
	return true;
}

static int wait_exit(pid_t pid, int ms)
{
	for (int i = 0; i <= ms / 10; i++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0)
			return -1;
		usleep(10000);
	}
	return -1;
}

int hd_stop(struct hd *d, int ms)
{
	char cmd[400];
	int st = -1;

	if (d->mgmt >= 0)
		close(d->mgmt);
	d->mgmt = -1;
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		st = wait_exit(d->pid, ms);
		if (st < 0) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, NULL, 0);
		}
	}
	d->pid = 0;
	/* the log stays for a failure to be read */
	if (st == 0)
		unlink(d->log);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->rundir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", d->rundir);
	return st;
}

int hd_dev_add(struct hd *d, const char *name, const char *mgmtdev)
{
	return hm_dev_add(d->mgmt, d->fam, name, mgmtdev);
}

int hd_dev_del(struct hd *d, const char *name)
{
	return hm_dev_del(d->mgmt, d->fam, name);
}

int hd_dev_count(struct hd *d)
{
	return hm_dev_count(d->mgmt, d->fam);
}

const char *hd_vhost_path(const struct hd *d, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/vhost/%s.sock", d->rundir, name);

	REQUIRE(n > 0 && (size_t)n < len, "socket path of %s too long", name);
	for (int i = 0; i < 500; i++) {
		if (access(buf, F_OK) == 0)
			return buf;
		usleep(10000);
	}
	REQUIRE(0, "no vhost-user socket %s", buf);
	return NULL;
}

unsigned long long hd_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	REQUIRE(f, "open %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields after the command (which may hold spaces): state is field 3,
	 * utime 14, stime 15 */
	p = strrchr(buf, ')');
	REQUIRE(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			    &ut, &st) == 2, "parse %s", path);
	return ut + st;
}

static unsigned count_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	REQUIRE(dir, "opendir %s", path);
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

unsigned hd_threads(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	return count_dir(path);
}

void hd_print_threads(pid_t pid)
{
	char path[300], comm[64];
	DIR *dir;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f))
			printf("# thread %s: %s", e->d_name, comm);
		if (f)
			fclose(f);
	}
	closedir(dir);
}

unsigned hd_fds(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	return count_dir(path);
}

unsigned long hd_rss_kb(pid_t pid)
{
	char path[64], line[256];
	unsigned long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	REQUIRE(f, "open %s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

bool hd_log_has(const struct hd *d, const char *s)
{
	char line[2048];
	bool found = false;
	FILE *f = fopen(d->log, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, s) != NULL;
	fclose(f);
	return found;
}

void hd_net_session(struct fe *f, const char *path, size_t mem)
{
	uint64_t feat = F(VIRTIO_F_VERSION_1);
	uint64_t proto = F(VHOST_USER_PROTOCOL_F_REPLY_ACK) | F(VHOST_USER_PROTOCOL_F_MQ);

	fe_open(f, path, mem);
	fe_add_region(f, 0, mem, 0x100000000ull);
	REQUIRE(!fe_negotiate(f, feat, proto), "features negotiated");
	REQUIRE(fe_send_mem_table(f) == 0, "SET_MEM_TABLE acked");
	REQUIRE(fe_ring_start(f, 0, 256, false, false, 0) == 0, "rx ring started");
	REQUIRE(fe_ring_start(f, 1, 256, false, false, 0) == 0, "tx ring started");
}
