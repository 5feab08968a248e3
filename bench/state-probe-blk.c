// SPDX-License-Identifier: MIT
/*
 * state-probe-blk: how quiet the machine is, printed next to the blk
 * figures of bench/vhost-user.sh so that they can be judged. A cache line
 * bounces between two threads pinned to CPU A and CPU B (a cross-core
 * round trip, what every request of a polled back end pays at least once);
 * prints the median and worst round trip of several rounds, the load
 * average and the CPU time stolen by the hypervisor during the probe.
 * On a quiet machine the rounds agree; a busy or overcommitted one shows
 * in the spread and the steal. Not a test: it asserts nothing.
 *
 * usage: state-probe-blk [CPU_A CPU_B]   (default 0 1)
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 9
#define TRIPS  20000            /* round trips per round */

static _Alignas(64) _Atomic uint64_t ball;
static int cpu_b;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Answers every odd value with the next even one, until told to stop. */
static void *partner(void *arg)
{
	uint64_t v;

	(void)arg;
	if (pin(cpu_b))
		return NULL;
	for (;;) {
		while (((v = atomic_load_explicit(&ball, memory_order_acquire)) & 1) == 0)
			;
		if (v == UINT64_MAX)
			return NULL;
		atomic_store_explicit(&ball, v + 1, memory_order_release);
	}
}

/* Steal ticks (all CPUs) from /proc/stat; 0 if unknown. */
static unsigned long long steal_ticks(void)
{
	unsigned long long f[8] = { 0 };
	FILE *s = fopen("/proc/stat", "r");

	if (!s)
		return 0;
	if (fscanf(s, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2],
		   &f[3], &f[4], &f[5], &f[6], &f[7]) != 8)
		f[7] = 0;
	fclose(s);
	return f[7];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int cpu_a = argc > 2 ? atoi(argv[1]) : 0;
	uint64_t rt[ROUNDS], v = 0;
	unsigned long long steal0, steal1;
	double load[3] = { 0, 0, 0 };
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t t0, t1;
	pthread_t th;

	cpu_b = argc > 2 ? atoi(argv[2]) : 1;
	if (pin(cpu_a) || pthread_create(&th, NULL, partner, NULL)) {
		fprintf(stderr, "state-probe-blk: cannot use CPUs %d and %d\n", cpu_a, cpu_b);
		return 1;
	}
	steal0 = steal_ticks();
	t0 = now_ns();
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t start = now_ns();

		for (unsigned i = 0; i < TRIPS; i++) {
			atomic_store_explicit(&ball, ++v, memory_order_release);
			while (atomic_load_explicit(&ball, memory_order_acquire) == v)
				;
			v++;
		}
		rt[r] = (now_ns() - start) / TRIPS;
	}
	t1 = now_ns();
	steal1 = steal_ticks();
	atomic_store_explicit(&ball, UINT64_MAX, memory_order_release);
	pthread_join(th, NULL);
	qsort(rt, ROUNDS, sizeof(rt[0]), cmp_u64);
	getloadavg(load, 3);
	printf("machine: CPU %d<->%d round trip median %llu ns, worst %llu ns (%d x %d); "
	       "load %.2f %.2f %.2f; steal %.0f%% of the probe\n",
	       cpu_a, cpu_b, (unsigned long long)rt[ROUNDS / 2],
	       (unsigned long long)rt[ROUNDS - 1], ROUNDS, TRIPS, load[0], load[1], load[2],
	       hz > 0 ? 100.0 * (double)(steal1 - steal0) / (double)hz /
			(double)(t1 - t0) * 1e9 : 0.0);
	return 0;
}
