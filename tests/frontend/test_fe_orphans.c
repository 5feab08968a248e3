// SPDX-License-Identifier: MIT
/*
 * A front-end test that dies without cleaning up (killed, an ASan abort:
 * no atexit) takes its peers with it. The test process here is a subreaper;
 * a child of it starts testpmd from a thread that then exits (as the
 * reconnect tests restart peers), reports the peer, and is SIGKILLed: the
 * peer must die of SIGKILL within seconds instead of spinning on a CPU.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fe_test.h"

static void *start_peer(void *arg)
{
	fe_testpmd_start(arg);
	return NULL;
}

/* The child: a peer started from a short-lived thread, reported, then wait to be killed. */
static void child(int fd)
{
	struct fe_peer p;
	pthread_t t;

	if (pthread_create(&t, NULL, start_peer, &p) != 0 || pthread_join(t, NULL) != 0)
		_exit(2);
	if (write(fd, &p, sizeof(p)) != (ssize_t)sizeof(p))
		_exit(3);
	for (;;)
		pause();
}

/* Reaps pid (a grandchild: we are its subreaper) within ms; its status or -1. */
static int reap_within(pid_t pid, int ms)
{
	struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
	int st, i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		nanosleep(&ts, NULL);
	}
	return -1;
}

int main(void)
{
	struct fe_peer p;
	int fds[2], st;
	pid_t c;

	REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "subreaper: %s", strerror(errno));
	REQUIRE(pipe(fds) == 0, "pipe");
	c = fork();
	if (c == 0) {
		close(fds[0]);
		child(fds[1]);
	}
	REQUIRE(c > 0, "fork");
	close(fds[1]);
	REQUIRE(read(fds[0], &p, sizeof(p)) == (ssize_t)sizeof(p),
		"the child started testpmd from a thread that has exited");
	CHECK(p.pid > 0 && kill(p.pid, 0) == 0, "testpmd (pid %d) runs", (int)p.pid);
	kill(c, SIGKILL);
	REQUIRE(waitpid(c, &st, 0) == c && WIFSIGNALED(st), "the test process is killed");
	st = reap_within(p.pid, 5000);
	CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "testpmd died with it (SIGKILL, within 5 s; status %#x)", st);
	if (st == -1) {
		kill(p.pid, SIGKILL);
		waitpid(p.pid, NULL, 0);
	}
	p.pid = 0;
	fe_peer_stop(&p);    /* its directories */
	return fe_done();
}
