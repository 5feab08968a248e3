// SPDX-License-Identifier: MIT
/*
 * One driver at a time (uvdpa_device_claim): the claim itself (owners told
 * apart, the holder named, a release by the wrong owner ignored, threads
 * racing for it), and the vhost face taking it: a front end is refused with
 * a closed socket and a log line naming the holder while another driver
 * (the kernel through VDUSE, here a stand-in tag) has the device, and holds
 * it from its connection until it is gone.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "fe.h"

static const char kernel_tag[] = "the kernel (test)";
static const char other_tag[] = "another test driver";

/* ---- the claim ---- */

static void basics(struct uvdpa_device *d)
{
	const char *holder = NULL;

	CHECK(uvdpa_device_owner(d) == NULL, "a new device has no driver");
	CHECK(uvdpa_device_claim(d, kernel_tag, &holder) == 0, "first claim taken");
	CHECK(uvdpa_device_owner(d) == kernel_tag, "owner is the claimer");
	CHECK(uvdpa_device_claim(d, other_tag, &holder) == -EBUSY && holder == kernel_tag,
	      "second driver: EBUSY, the holder named");
	CHECK(uvdpa_device_claim(d, kernel_tag, NULL) == -EBUSY, "not taken twice by its owner");
	uvdpa_device_release(d, other_tag);
	CHECK(uvdpa_device_owner(d) == kernel_tag, "a release by a non-owner changes nothing");
	uvdpa_device_release(d, kernel_tag);
	CHECK(uvdpa_device_owner(d) == NULL, "released");
	CHECK(uvdpa_device_claim(d, other_tag, NULL) == 0, "free again: the other driver takes it");
	uvdpa_device_release(d, other_tag);
}

#define RACERS 4
#define ROUNDS 20000

struct race {
	struct uvdpa_device *d;
	atomic_int holders, max_holders, wins;
	char tags[RACERS][8];
};

struct racer {
	struct race *r;
	const char *tag;
};

static void *racer(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;

	for (int i = 0; i < ROUNDS; i++) {
		int h;

		if (uvdpa_device_claim(r->d, me->tag, NULL))
			continue;
		h = atomic_fetch_add(&r->holders, 1) + 1;
		if (h > atomic_load(&r->max_holders))
			atomic_store(&r->max_holders, h);
		if (uvdpa_device_owner(r->d) != me->tag)
			atomic_store(&r->max_holders, 99);
		atomic_fetch_sub(&r->holders, 1);
		atomic_fetch_add(&r->wins, 1);
		uvdpa_device_release(r->d, me->tag);
	}
	return NULL;
}

static void race(struct uvdpa_device *d)
{
	static struct race r;
	struct racer rs[RACERS];
	pthread_t t[RACERS];

	r.d = d;
	for (int i = 0; i < RACERS; i++) {
		snprintf(r.tags[i], sizeof(r.tags[i]), "r%d", i);
		rs[i] = (struct racer){ .r = &r, .tag = r.tags[i] };
		REQUIRE(!pthread_create(&t[i], NULL, racer, &rs[i]), "thread");
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	CHECK(atomic_load(&r.max_holders) == 1 && atomic_load(&r.wins) > 0,
	      "%d threads racing: never two holders (most at once %d, %d claims won)",
	      RACERS, atomic_load(&r.max_holders), atomic_load(&r.wins));
	CHECK(uvdpa_device_owner(d) == NULL, "free after the race");
}

/* ---- the vhost face ---- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char refused_line[512];

static void face_log(void *opaque, enum uvdpa_vhost_log_level level, const char *line)
{
	(void)opaque;
	(void)level;
	pthread_mutex_lock(&log_lock);
	if (strstr(line, "refused a front end"))
		snprintf(refused_line, sizeof(refused_line), "%s", line);
	pthread_mutex_unlock(&log_lock);
}

static bool owner_becomes(struct uvdpa_device *d, const char *want, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (uvdpa_device_owner(d) == want)
			return true;
		usleep(10000);
	}
	return uvdpa_device_owner(d) == want;
}

static void face(struct uvdpa_bus *bus, struct uvdpa_device *d, const char *rundir)
{
	struct uvdpa_vhost_face *vf = uvdpa_vhost_face_new(bus, rundir);
	const char *holder = NULL, *sock;
	uint64_t features;
	struct fe f;
	bool closed;

	REQUIRE(vf, "face");
	uvdpa_vhost_face_set_log(vf, face_log, NULL);
	REQUIRE(!uvdpa_vhost_face_device_added(vf, d), "device added");
	sock = uvdpa_vhost_face_socket_path(vf, d);

	/* The kernel drives the device: the front end is turned away. */
	REQUIRE(!uvdpa_device_claim(d, kernel_tag, NULL), "kernel stand-in claims");
	fe_open(&f, sock, 0);
	fe_send(&f, VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0);
	closed = fe_closed_by_peer(&f, 3000);
	CHECK(closed, "front end refused: the socket is closed");
	pthread_mutex_lock(&log_lock);
	CHECK(strstr(refused_line, "driven by the kernel (test)") != NULL,
	      "the refusal names the holder: \"%s\"", refused_line);
	pthread_mutex_unlock(&log_lock);
	CHECK(uvdpa_device_owner(d) == kernel_tag, "the kernel still holds the device");
	fe_close(&f);

	/* Free: a front end connects, and holds it while connected. */
	uvdpa_device_release(d, kernel_tag);
	fe_open(&f, sock, 0);
	CHECK(fe_get_u64(&f, VHOST_USER_GET_FEATURES, &features) == 0,
	      "front end served once the device is free");
	CHECK(uvdpa_device_owner(d) != NULL &&
	      strstr(uvdpa_device_owner(d), "vhost-user"), "the front end holds the device (%s)",
	      uvdpa_device_owner(d) ? uvdpa_device_owner(d) : "nobody");
	CHECK(uvdpa_device_claim(d, kernel_tag, &holder) == -EBUSY && holder &&
	      strstr(holder, "vhost-user"), "the kernel is refused while the front end drives");
	fe_close(&f);
	CHECK(owner_becomes(d, NULL, 3000), "released when the front end goes");
	CHECK(uvdpa_device_claim(d, kernel_tag, NULL) == 0, "the kernel may take it then");
	uvdpa_device_release(d, kernel_tag);

	uvdpa_vhost_face_device_removed(vf, d);
	uvdpa_vhost_face_free(vf);
}

int main(void)
{
	printf("# one driver at a time: the claim, and the vhost face taking it\n");
	struct uvdpa_dev_set_config none = { 0 };
	struct uvdpa_bus *bus = uvdpa_bus_new();
	struct uvdpa_device *d = NULL;
	char rundir[] = "/tmp/uvdpa-claim-XXXXXX";

	REQUIRE(bus && !uvdpa_bus_register_builtin(bus), "bus");
	REQUIRE(!uvdpa_bus_dev_add(bus, uvdpa_bus_find_mgmtdev(bus, NULL, "vdpasim_blk"),
				   "claim0", &none, &d, NULL), "device");
	REQUIRE(mkdtemp(rundir), "mkdtemp");
	basics(d);
	race(d);
	face(bus, d, rundir);
	uvdpa_bus_free(bus);
	rmdir(rundir);
	return 0;
}
