// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fe_test.h"

int fe_failures;

/* Children to stop when a REQUIRE ends the test early. */
static struct fe_peer *live[4];

int fe_done(void)
{
	printf("%s\n", fe_failures ? "FAILED" : "PASSED");
	return fe_failures ? 1 : 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int wait_exit(pid_t pid, int ms)
{
	int st, i;

	for (i = 0; i < ms / 10 + 1; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0)
			return -1;
		sleep_ms(10);
	}
	return -2;
}

static void rm_tree(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void fe_peer_stop(struct fe_peer *p)
{
	unsigned i;

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		if (wait_exit(p->pid, 20000) < 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
		p->pid = 0;
	}
	if (p->dir[0])
		rm_tree(p->dir);
	if (p->dpdk_state[0])
		rm_tree(p->dpdk_state);
	p->dpdk_state[0] = '\0';
	p->dir[0] = '\0';
	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i] == p)
			live[i] = NULL;
}

static void stop_all(void)
{
	unsigned i;

	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (live[i])
			fe_peer_stop(live[i]);
}

static void track(struct fe_peer *p)
{
	static bool registered;
	unsigned i;

	if (!registered)
		atexit(stop_all);
	registered = true;
	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (!live[i]) {
			live[i] = p;
			return;
		}
}

/*
 * Every peer is forked by one thread that lives as long as the test, and
 * asks to be killed when that thread ends (PR_SET_PDEATHSIG follows the
 * forking thread, not the process, and the reconnect tests restart peers
 * from threads that then exit): a test that is killed or aborts (ASan, a
 * signal; atexit does not run) leaves no testpmd spinning on a CPU.
 */
struct spawn_req {
	char *const *argv;
	const char *log, *rundir;
	pid_t pid;
	int err;       /* fork's errno */
	bool done;
};

static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spawn_cond = PTHREAD_COND_INITIALIZER;
static struct spawn_req *spawn_pending;   /* one at a time, under spawn_lock */

static void spawn_child(const struct spawn_req *r, pid_t parent)
{
	int fd;

	/* The parent may have died between fork and prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (r->rundir)
		setenv("UVDPA_RUNDIR", r->rundir, 1);
	execvp(r->argv[0], r->argv);
	fprintf(stderr, "exec %s: %s\n", r->argv[0], strerror(errno));
	_exit(127);
}

static void *spawner(void *arg)
{
	pid_t self = getpid();

	(void)arg;
	pthread_mutex_lock(&spawn_lock);
	for (;;) {
		struct spawn_req *r;

		while (!spawn_pending)
			pthread_cond_wait(&spawn_cond, &spawn_lock);
		r = spawn_pending;
		r->pid = fork();
		if (r->pid == 0)
			spawn_child(r, self);
		r->err = errno;
		r->done = true;
		spawn_pending = NULL;
		pthread_cond_broadcast(&spawn_cond);
	}
	return NULL;
}

static int spawner_err;   /* pthread_create's answer */

static void spawner_start(void)
{
	pthread_t t;

	spawner_err = pthread_create(&t, NULL, spawner, NULL);
	if (!spawner_err)
		pthread_detach(t);
}

static pid_t spawn(char *const argv[], const char *log, const char *rundir)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct spawn_req r = { .argv = argv, .log = log, .rundir = rundir };

	pthread_once(&once, spawner_start);
	if (spawner_err)
		REQUIRE(0, "spawner thread: %s", strerror(spawner_err));
	pthread_mutex_lock(&spawn_lock);
	while (spawn_pending)
		pthread_cond_wait(&spawn_cond, &spawn_lock);
	spawn_pending = &r;
	pthread_cond_broadcast(&spawn_cond);
	while (!r.done)
		pthread_cond_wait(&spawn_cond, &spawn_lock);
	pthread_mutex_unlock(&spawn_lock);
	if (r.pid < 0)
		REQUIRE(0, "fork: %s", strerror(r.err));
	return r.pid;
}

static void make_dir(struct fe_peer *p, const char *what)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/uvdpa-fe-%s.XXXXXX", what);
	if (!mkdtemp(p->dir))
		REQUIRE(0, "mkdtemp %s: %s", p->dir, strerror(errno));
	snprintf(p->log, sizeof(p->log), "%s/log", p->dir);
	track(p);
}

static bool is_socket(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool wait_socket(struct fe_peer *p, const char *path, int ms)
{
	int i;

	for (i = 0; i < ms / 10; i++) {
		if (is_socket(path))
			return true;
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			p->pid = 0;
			return false;
		}
		sleep_ms(10);
	}
	return false;
}

static void uvdpad_spawn(struct fe_peer *p)
{
	char mgmt[300];
	char *argv[] = { (char *)p->uvdpad, (char *)"-r", p->dir, (char *)"-l", (char *)"debug",
			 NULL };

	snprintf(mgmt, sizeof(mgmt), "%s/uvdpa.sock", p->dir);
	/* A killed daemon leaves its socket: wait for the new one. */
	unlink(mgmt);
	p->pid = spawn(argv, p->log, NULL);
	REQUIRE(wait_socket(p, mgmt, 20000), "uvdpad up (log %s)", p->log);
}

void fe_uvdpad_restart(struct fe_peer *p)
{
	uvdpad_spawn(p);
}

void fe_uvdpad_start(struct fe_peer *p, const char *uvdpad, const char *uvdpa)
{
	make_dir(p, "uvdpad");
	p->uvdpa = uvdpa;
	p->uvdpad = uvdpad;
	uvdpad_spawn(p);
}

void fe_uvdpad_add(struct fe_peer *p, const char *name, const char *mgmt, const char *key,
		   const char *value)
{
	char *argv[] = { (char *)p->uvdpa, (char *)"dev", (char *)"add", (char *)"name",
			 (char *)name, (char *)"mgmtdev", (char *)mgmt, (char *)key,
			 (char *)value, NULL };
	pid_t pid;
	int i;

	if (!key)
		argv[7] = NULL;
	pid = spawn(argv, p->log, p->dir);
	REQUIRE(wait_exit(pid, 20000) == 0, "uvdpa dev add name %s mgmtdev %s", name, mgmt);
	snprintf(p->sock, sizeof(p->sock), "%s/vhost/%s.sock", p->dir, name);
	for (i = 0; i < 500; i++) {
		if (is_socket(p->sock))
			return;
		sleep_ms(10);
	}
	REQUIRE(0, "no device socket %s", p->sock);
}

int fe_uvdpa_run(struct fe_peer *p, const char *const args[])
{
	char *argv[16] = { (char *)p->uvdpa };
	unsigned i;

	for (i = 0; args[i] && i + 2 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	return wait_exit(spawn(argv, p->log, p->dir), 20000);
}

void fe_qsd_start(struct fe_peer *p, const char *blockdev)
{
	char exp[512];
	char *argv[] = { (char *)"qemu-storage-daemon", (char *)"--blockdev", (char *)blockdev,
			 (char *)"--export", exp, NULL };

	make_dir(p, "qsd");
	snprintf(p->sock, sizeof(p->sock), "%s/vub.sock", p->dir);
	snprintf(exp, sizeof(exp), "type=vhost-user-blk,id=e0,node-name=n0,addr.type=unix,"
		 "addr.path=%s,writable=on,num-queues=1", p->sock);
	p->pid = spawn(argv, p->log, NULL);
	REQUIRE(wait_socket(p, p->sock, 20000),
		"qemu-storage-daemon up (is it installed? `scripts/deps.sh peers`; log %s)",
		p->log);
}

static void testpmd_spawn(struct fe_peer *p)
{
	char vdev[300], prefix[64], rxq[32], txq[32];
	unsigned queues = p->queues ? p->queues : 1;
	char *argv[] = { (char *)"dpdk-testpmd", (char *)"--lcores", (char *)"0@0,1@0",
			 (char *)"--file-prefix", prefix, (char *)"--no-pci", (char *)"--no-huge",
			 (char *)"-m", (char *)"512", (char *)"--vdev", vdev, (char *)"--",
			 (char *)"--forward-mode=io", (char *)"--nb-cores=1",
			 (char *)"--total-num-mbufs=16384", (char *)"--auto-start",
			 (char *)"--stats-period=60", rxq, txq, NULL };

	snprintf(prefix, sizeof(prefix), "%s", strrchr(p->dir, '/') + 1);
	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s,queues=%u", p->sock, queues);
	snprintf(rxq, sizeof(rxq), "--rxq=%u", queues);
	snprintf(txq, sizeof(txq), "--txq=%u", queues);
	/* A killed testpmd leaves its socket: wait for the new one. */
	unlink(p->sock);
	p->pid = spawn(argv, p->log, NULL);
	REQUIRE(wait_socket(p, p->sock, 60000),
		"dpdk-testpmd up (is it installed? `scripts/deps.sh peers`; log %s)", p->log);
}

void fe_testpmd_start_mq(struct fe_peer *p, unsigned queues)
{
	make_dir(p, "testpmd");
	p->queues = queues;
	snprintf(p->sock, sizeof(p->sock), "%s/vhu.sock", p->dir);
	snprintf(p->dpdk_state, sizeof(p->dpdk_state), "/var/run/dpdk/%s",
		 strrchr(p->dir, '/') + 1);
	testpmd_spawn(p);
}

void fe_testpmd_start(struct fe_peer *p)
{
	fe_testpmd_start_mq(p, 1);
}

void fe_testpmd_restart(struct fe_peer *p)
{
	testpmd_spawn(p);
}

int fe_open(const char *sock, const struct uvdpa_vhost_user_opts *o, struct uvdpa_virtio **v)
{
	int r, i;

	/* The file appears at bind(), a moment before listen(). */
	for (i = 0; i < 100; i++) {
		r = uvdpa_virtio_open_vhost_user(sock, o, v);
		if (r != -ECONNREFUSED && r != -ENOENT)
			return r;
		sleep_ms(10);
	}
	return r;
}

void fe_pattern(void *buf, size_t len, uint64_t sector, unsigned seed)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t s = sector + i / 512;

		b[i] = (uint8_t)(s * 131 + (i % 512) * 7 + seed * 29 + (s >> 8));
	}
}
