// SPDX-License-Identifier: MIT
/*
 * uvdpad: holds the uvdpa bus and its devices, serves the vdpa
 * generic-netlink family on $RUNDIR/uvdpa.sock and hands devices to its
 * faces. Foreground by default (systemd style); logs to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uvdpa/bus.h>
#include "core/bus_priv.h"
#include "daemon/faces.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/notify.h"
#include "daemon/rundir.h"
#include "daemon/state.h"
#include "mgmt/mgmt.h"

#ifndef UVDPA_VERSION
#define UVDPA_VERSION "unknown"
#endif

struct opts {
	const char *rundir;
	const char *state;      /* -S PATH; "" for none; NULL: the default */
	bool daemonize;
	enum uvdpa_poll_mode poll;
	bool vduse;             /* export every device through VDUSE too */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: uvdpad [ -d ] [ -P ] [ -K ] [ -r RUNDIR ] [ -S FILE | --no-state ]\n"
		"              [ -v | -l LEVEL ] [ -h ] [ -V ]\n"
		"  -d, --daemon         detach and run in the background\n"
		"  -P, --poll           device workers busy-poll their queues while there is\n"
		"                       traffic (one CPU each), and sleep when idle\n"
		"  -r, --rundir DIR     run directory (default: $UVDPA_RUNDIR, else /run/uvdpa\n"
		"                       for root, else $XDG_RUNTIME_DIR/uvdpa)\n"
		"  -K, --vduse          put every device on the kernel's vdpa bus too, as\n"
		"                       /dev/vduse/NAME (then: vdpa dev add name NAME mgmtdev vduse)\n"
		"  -S, --state FILE     the device list kept across restarts (default:\n"
		"                       /var/lib/uvdpa/devices for root, else\n"
		"                       $XDG_STATE_HOME/uvdpa/devices; none when -r or\n"
		"                       $UVDPA_RUNDIR chose the run directory)\n"
		"      --no-state       keep no device list (same as -S '')\n"
		"  -v, --verbose        log more (repeat for debug)\n"
		"  -l, --log-level L    error, warn, info (default) or debug\n"
		"  -h, --help           show this help\n"
		"  -V, --version        show the version\n");
}

/* 0: run, 1: exit 0 (help/version), -1: exit 1. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "daemon", no_argument, NULL, 'd' },
		{ "poll", no_argument, NULL, 'P' },
		{ "rundir", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 'S' },
		{ "no-state", no_argument, NULL, 'N' },
		{ "vduse", no_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, lvl;

	while ((c = getopt_long(argc, argv, "dPKr:S:vl:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->daemonize = true;
			break;
		case 'P':
			o->poll = UVDPA_POLL_ADAPTIVE;
			break;
		case 'K':
			o->vduse = true;
			break;
		case 'r':
			o->rundir = optarg;
			break;
		case 'S':
			o->state = optarg;
			break;
		case 'N':
			o->state = "";
			break;
		case 'v':
			if (dlog_get_level() < DLOG_DEBUG)
				dlog_set_level(dlog_get_level() + 1);
			break;
		case 'l':
			lvl = dlog_parse_level(optarg);
			if (lvl < 0) {
				fprintf(stderr, "uvdpad: unknown log level \"%s\" "
					"(error, warn, info, debug)\n", optarg);
				return -1;
			}
			dlog_set_level((enum dlog_level)lvl);
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("uvdpad %s\n", UVDPA_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uvdpad: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Forks once the socket listens, so clients that connect at once are queued. */
static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		dlog(DLOG_ERROR, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		dlog(DLOG_WARN, "setsid: %s", strerror(errno));
	if (chdir("/") < 0)
		dlog(DLOG_WARN, "chdir /: %s", strerror(errno));
	/* stderr stays: it is the log (redirect it when starting uvdpad -d). */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

/* Newest first, each device's sockets going with it (through the faces). */
static void delete_all_devices(struct uvdpa_bus *bus)
{
	unsigned n;

	while ((n = uvdpa_bus_dev_count(bus)) > 0) {
		struct uvdpa_device *d = uvdpa_bus_dev_at(bus, n - 1);

		uvdpa_bus_dev_del(bus, d->name);
	}
}

/* Per device (`dev add ... vduse on`), or every device with -K. */
static int add_vduse(struct faces *fs, const char *dir, bool by_default)
{
#ifdef UVDPAD_HAVE_VDUSE_FACE
	return faces_set_kernel(fs, &vduse_face_ops, dir, by_default);
#else
	(void)fs;
	(void)dir;
	if (!by_default)
		return 0;
	dlog(DLOG_ERROR, "--vduse: this uvdpad was built without <linux/vduse.h>");
	return -1;
#endif
}

struct daemon {
	char rundir[PATH_MAX];
	char sock_path[PATH_MAX];
	char vhost_dir[PATH_MAX];
	int lock_fd;
	bool listening;         /* sock_path is ours to remove */
	struct uvdpa_bus *bus;
	struct faces faces;
	struct mgmt_server *mgmt;
	struct state *state;    /* NULL: devices are not kept */
	struct loop *loop;
};

/* The run directory was chosen rather than defaulted (a private instance). */
static bool explicit_rundir(const struct opts *o)
{
	const char *env = getenv("UVDPA_RUNDIR");

	return o->rundir || (env && env[0]);
}

static int daemon_setup(struct daemon *d, const struct opts *o)
{
	int lfd, err;

	if (rundir_resolve(o->rundir, d->rundir, sizeof(d->rundir)) < 0 ||
	    rundir_create(d->rundir) < 0)
		return -1;
	d->lock_fd = rundir_lock(d->rundir);
	if (d->lock_fd < 0 || state_open(o->state, explicit_rundir(o), &d->state) < 0)
		return -1;
	lfd = rundir_listen(d->rundir, d->sock_path, sizeof(d->sock_path));
	if (lfd < 0)
		return -1;
	d->listening = true;
	if (rundir_vhost_dir(d->rundir, d->vhost_dir, sizeof(d->vhost_dir)) < 0) {
		d->vhost_dir[0] = '\0';
		close(lfd);
		return -1;
	}
	/* Before any thread exists: devices start theirs when created. */
	if (o->daemonize && daemonize() < 0) {
		close(lfd);
		return -1;
	}
	rundir_lock_write_pid(d->lock_fd);
	d->bus = uvdpa_bus_new();
	d->mgmt = d->bus ? mgmt_server_new(d->bus) : NULL;
	if (!d->mgmt) {
		dlog(DLOG_ERROR, "out of memory");
		close(lfd);
		return -1;
	}
	err = uvdpa_bus_register_builtin(d->bus);
	if (err < 0) {
		dlog(DLOG_ERROR, "cannot register the built-in parents: %s", strerror(-err));
		close(lfd);
		return -1;
	}
	if (faces_start(&d->faces, d->bus, d->vhost_dir, o->poll) < 0) {
		close(lfd);
		return -1;
	}
	if (add_vduse(&d->faces, d->vhost_dir, o->vduse) < 0) {
		close(lfd);
		return -1;
	}
	mgmt_server_set_socket_path_fn(d->mgmt, faces_socket_path, &d->faces);
	mgmt_server_set_vduse_fn(d->mgmt, faces_kernel_without, &d->faces);
	mgmt_server_set_export_fn(d->mgmt, faces_next_kernel, &d->faces);
	/* Saved devices come back before any client can see the bus; the hook
	 * is set afterwards, so restoring them does not rewrite the file. */
	if (d->state) {
		state_load(d->state, d->mgmt);
		mgmt_server_set_commit_fn(d->mgmt, state_commit, d->state);
	}
	d->loop = loop_new(lfd, d->mgmt);
	return d->loop ? 0 : -1;
}

static void daemon_teardown(struct daemon *d)
{
	/* Clients first: nothing may arrive while devices go away. */
	loop_free(d->loop);
	if (d->listening)
		unlink(d->sock_path);
	/* Devices the state file keeps come back at the next start: the TAPs
	 * net_tap created for them stay, configured, to be re-attached, and
	 * VDUSE devices the kernel still holds keep their takeover records. */
	if (d->state && d->bus)
		uvdpa_bus_keep_devices(d->bus);
	if (d->bus)
		delete_all_devices(d->bus);
	faces_stop(&d->faces);
	if (d->vhost_dir[0])
		rundir_vhost_dir_remove(d->vhost_dir);
	mgmt_server_free(d->mgmt);
	state_free(d->state);
	uvdpa_bus_free(d->bus);
	if (d->lock_fd >= 0)
		rundir_unlock(d->rundir, d->lock_fd);
}

int main(int argc, char **argv)
{
	struct daemon d = { .lock_fd = -1 };
	struct opts o = { 0 };
	sigset_t set;
	int ret;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 1;
	/* Termination arrives through the loop's signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (daemon_setup(&d, &o) < 0) {
		daemon_teardown(&d);
		return 1;
	}
	dlog(DLOG_INFO, "listening on %s", d.sock_path);
	notify_systemd("READY=1");
	ret = loop_run(d.loop);
	notify_systemd("STOPPING=1");
	daemon_teardown(&d);
	dlog(DLOG_INFO, "stopped");
	return ret < 0 ? 1 : 0;
}
