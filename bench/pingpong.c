// SPDX-License-Identifier: MIT
/*
 * pingpong: the machine-state probe of the benchmarks. Two threads, pinned to
 * two CPUs, hand a counter on one cache line back and forth; the time of a
 * round trip is what every cross-core ring transfer pays. The same two vCPUs
 * measure ~70 ns when the host places them close and ~480 ns when far apart,
 * so a benchmark figure means something only next to this one.
 *
 *   pingpong [CPU_A CPU_B [ROUNDS]]      (default 0 1 200000)
 * Prints the fastest and the median of 5 runs, in ns per round trip.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RUNS 5

static _Alignas(64) _Atomic uint64_t line;
static unsigned long rounds = 200000;

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Answers every odd value with the next even one. */
static void *pong(void *arg)
{
	uint64_t v;

	if (pin(*(int *)arg))
		return (void *)1;
	for (v = 1; v < 2 * rounds; v += 2) {
		while (atomic_load_explicit(&line, memory_order_acquire) != v)
			relax();
		atomic_store_explicit(&line, v + 1, memory_order_release);
	}
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int cpu_a = argc > 2 ? atoi(argv[1]) : 0, cpu_b = argc > 2 ? atoi(argv[2]) : 1;
	double ns[RUNS];
	pthread_t t;
	void *res;
	int i;

	if (argc > 3)
		rounds = strtoul(argv[3], NULL, 10);
	if (argc == 2 || argc > 4 || !rounds || cpu_a == cpu_b) {
		fprintf(stderr, "usage: uvdpa-pingpong [CPU_A CPU_B [ROUNDS]] (two CPUs)\n");
		return 2;
	}
	if (pin(cpu_a)) {
		fprintf(stderr, "pingpong: cannot run on CPU %d\n", cpu_a);
		return 1;
	}
	for (i = 0; i < RUNS; i++) {
		uint64_t v, t0;

		atomic_store(&line, 0);
		if (pthread_create(&t, NULL, pong, &cpu_b)) {
			fprintf(stderr, "pingpong: cannot start a thread\n");
			return 1;
		}
		t0 = now_ns();
		for (v = 0; v < 2 * rounds; v += 2) {
			atomic_store_explicit(&line, v + 1, memory_order_release);
			while (atomic_load_explicit(&line, memory_order_acquire) != v + 2)
				relax();
		}
		ns[i] = (double)(now_ns() - t0) / (double)rounds;
		pthread_join(t, &res);
		if (res) {
			fprintf(stderr, "pingpong: cannot run on CPU %d\n", cpu_b);
			return 1;
		}
	}
	qsort(ns, RUNS, sizeof(ns[0]), cmp);
	/* The fastest run tells where the vCPUs sit; a median far above it
	 * says something else (load) took the CPUs meanwhile. */
	printf("%.0f ns (median %.0f)\n", ns[0], ns[RUNS / 2]);
	return 0;
}
