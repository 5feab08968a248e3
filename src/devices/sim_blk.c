// SPDX-License-Identifier: MIT
/*
 * vdpasim_blk (kernel drivers/vdpa/vdpa_sim/vdpa_sim_blk.c): a virtio-blk
 * device backed by a sparse RAM disk that reads as zeroes until written.
 *
 * Beyond the kernel: capacity and number of queues are chosen at creation;
 * bounds checks are spec-correct (start past the end, partial trailing
 * sectors, 64-bit overflow -> IOERR with the disk untouched); unknown
 * request types answer UNSUPP; malformed chains are completed empty and the
 * queue goes on.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "devices/blk_discard.h"
#include "devices/runtime.h"

/*
 * SIZE_MAX SEG_MAX BLK_SIZE FLUSH TOPOLOGY MQ DISCARD WRITE_ZEROES
 * ANY_LAYOUT VERSION_1 ACCESS_PLATFORM: the kernel's device word. The
 * kernel's blk mgmtdev advertises no features and no queues (0); ours
 * advertises what dev add accepts (uvdpa(8), DIFFERENCES).
 */
#define BLK_CLASS_FEATURES 0x308007646ULL
#define BLK_OFFERED (BLK_CLASS_FEATURES | VDPASIM_TRANSPORT_FEATURES)

#define SECTOR_SHIFT        9
#define SECTOR_SIZE         (1u << SECTOR_SHIFT)
#define BLK_DEFAULT_SECTORS 0x40000ULL              /* 128 MiB */
#define BLK_MAX_SECTORS     (1ULL << 31)            /* 1 TiB, virtual */
#define BLK_MAX_QUEUES      64
#define BLK_SIZE_MAX        4096
#define BLK_SEG_MAX         32
#define BLK_ID              "vdpa_blk_sim"

/*
 * The disk is a two-level table of page pointers (dir -> leaf -> page), so a
 * fresh disk costs no memory and a hole reads as zeroes from zero_src. Every
 * page the table points to (leaves included) comes from a pool of memory
 * populated by the device's refill thread, outside the request path: the
 * first write to a page is a pointer store instead of a 20-50 us page fault
 * (its cost on the development VM). The pool holds at most pool_max pages;
 * the thread maps a chunk of pool_max / 4 pages whenever that many are
 * missing. An empty pool makes the worker map and populate a few pages
 * itself; a write never fails for it unless the kernel refuses the memory.
 */
#define POOL_DEFAULT_PAGES 1024            /* 4 MiB of 4 KiB pages */
#define POOL_MAX_PAGES     (1u << 20)
#define POOL_FALLBACK      16              /* pages the worker maps at once */
#define SLOT_DROPPED       ((uintptr_t)1)  /* hole keeping its address, memory given back */

struct blk_chunk {
	struct blk_chunk *next;
	void *addr;
	size_t len;
};

struct blk_pool {
	pthread_mutex_t lock;           /* count, free, chunks; never held across a syscall */
	pthread_cond_t wake;            /* refill thread: pages missing, or stop */
	void **free;                    /* zeroed, populated pages; [0, count) */
	unsigned count, max, chunk;
	struct blk_chunk *chunks;       /* every mapping, unmapped at free */
	bool stop, thread_started, thread_failed;   /* the last two: worker only */
	pthread_t thread;
	char tname[16];
};

struct vdpasim_blk {
	struct devrt rt;               /* first */
	uint64_t capacity;              /* sectors */
	size_t disk_bytes;
	uint16_t num_queues;
	size_t page;
	unsigned leaf_shift;            /* log2 of the pointers per leaf page */
	uintptr_t **dir;                /* one leaf per page << leaf_shift bytes of disk */
	size_t ndir;
	struct blk_pool pool;
	bool nt_pending;                /* streaming stores not fenced yet */
	bool read_nt;                   /* whole written pages read with streaming stores */
	struct iovec iov[VDPASIM_CHAIN_IOV];
};

/* What a never-written page reads as (read-only, shared by every device). */
static const uint8_t zero_src[4096];

static struct vdpasim_blk *sim_to_blk(struct devrt *s)
{
	return (struct vdpasim_blk *)s;
}

/* [sector, sector + ceil(bytes / 512)) inside the disk, without overflow. */
static bool blk_range_ok(const struct vdpasim_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t count = (bytes >> SECTOR_SHIFT) + ((bytes & (SECTOR_SIZE - 1)) != 0);

	return sector <= b->capacity && count <= b->capacity - sector;
}

/* Maps n pages and faults them in; NULL if the kernel refuses. */
static void *pool_map(struct blk_pool *p, size_t page, unsigned n)
{
	struct blk_chunk *c = malloc(sizeof(*c));
	size_t len = (size_t)n * page;
	uint8_t *m;

	if (!c)
		return NULL;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		free(c);
		return NULL;
	}
	/* Before 5.14 there is no MADV_POPULATE_WRITE: touch every page. */
	if (madvise(m, len, MADV_POPULATE_WRITE) != 0) {
		if (errno != EINVAL) {
			munmap(m, len);
			free(c);
			return NULL;
		}
		for (size_t off = 0; off < len; off += page)
			((volatile uint8_t *)m)[off] = 0;
	}
	c->addr = m;
	c->len = len;
	pthread_mutex_lock(&p->lock);
	c->next = p->chunks;
	p->chunks = c;
	pthread_mutex_unlock(&p->lock);
	return m;
}

/* Pushes the n pages at m while there is room; returns how many. */
static unsigned pool_put(struct blk_pool *p, uint8_t *m, size_t page, unsigned n)
{
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < n && p->count < p->max; i++)
		p->free[p->count++] = m + (size_t)i * page;
	pthread_mutex_unlock(&p->lock);
	return i;
}

/* Fresh pages to the pool; what finds no room (discards refilled it
 * meanwhile) goes back to the kernel, so the pool's bound holds. */
static void pool_put_fresh(struct blk_pool *p, uint8_t *m, size_t page, unsigned n)
{
	unsigned k = pool_put(p, m, page, n);

	if (k < n)
		madvise(m + (size_t)k * page, (size_t)(n - k) * page, MADV_DONTNEED);
}

static void *pool_thread(void *arg)
{
	struct vdpasim_blk *b = arg;
	struct blk_pool *p = &b->pool;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		uint8_t *m;

		if (p->count + p->chunk > p->max) {
			pthread_cond_wait(&p->wake, &p->lock);
			continue;
		}
		pthread_mutex_unlock(&p->lock);
		m = pool_map(p, b->page, p->chunk);
		if (m)
			pool_put_fresh(p, m, b->page, p->chunk);
		pthread_mutex_lock(&p->lock);
		if (!m && !p->stop) {
			/* Out of memory: try again later, the worker falls back meanwhile. */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&p->wake, &p->lock, &ts);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/*
 * A zeroed page for the disk (worker only). The refill thread is woken
 * after the lock is dropped, once when the pool falls to a chunk missing.
 */
static uint8_t *pool_take(struct vdpasim_blk *b)
{
	struct blk_pool *p = &b->pool;
	uint8_t *pg = NULL, *m;
	bool wake = false;
	unsigned n;

	/* An idle device costs no thread and no pool: both start at the
	 * first page a driver writes (a thread per device that was written,
	 * until dev del). */
	if (!p->thread_started && !p->thread_failed && p->max) {
		if (pthread_create(&p->thread, NULL, pool_thread, b) == 0) {
			p->thread_started = true;
			pthread_setname_np(p->thread, p->tname);
		} else {
			p->thread_failed = true;   /* every page then comes the slow way */
		}
	}
	pthread_mutex_lock(&p->lock);
	if (p->count) {
		pg = p->free[--p->count];
		wake = p->thread_started && p->count + p->chunk == p->max;
	}
	pthread_mutex_unlock(&p->lock);
	if (wake)
		pthread_cond_signal(&p->wake);
	if (pg)
		return pg;
	/* Empty: map a few pages here, keep one, give the rest to the pool. */
	n = p->max < POOL_FALLBACK - 1 ? p->max + 1 : POOL_FALLBACK;
	m = pool_map(p, b->page, n);
	if (!m)
		return NULL;
	if (n > 1)
		pool_put_fresh(p, m + b->page, b->page, n - 1);
	if (p->thread_started)
		pthread_cond_signal(&p->wake);
	return m;
}

/* Gives a page of the disk back: to the pool while it has room, else to the
 * kernel (the address stays the slot's; a later write faults it back in). */
static void pool_give(struct vdpasim_blk *b, uintptr_t *slot)
{
	uint8_t *pg = (uint8_t *)*slot;

	memset(pg, 0, b->page);
	if (pool_put(&b->pool, pg, b->page, 1)) {
		*slot = 0;
		return;
	}
	madvise(pg, b->page, MADV_DONTNEED);
	*slot = (uintptr_t)pg | SLOT_DROPPED;
}

/* The slot of page pn, NULL if its leaf was never needed. */
static uintptr_t *page_slot(const struct vdpasim_blk *b, uint64_t pn)
{
	uintptr_t *leaf = b->dir[pn >> b->leaf_shift];

	return leaf ? &leaf[pn & ((1u << b->leaf_shift) - 1)] : NULL;
}

/* The page holding disk page pn, NULL for a hole. */
static const uint8_t *page_get(const struct vdpasim_blk *b, uint64_t pn)
{
	uintptr_t *slot = page_slot(b, pn);

	return slot && *slot && !(*slot & SLOT_DROPPED) ? (const uint8_t *)*slot : NULL;
}

/* The page holding disk page pn, backed now; NULL only without memory. */
static uint8_t *page_for_write(struct vdpasim_blk *b, uint64_t pn)
{
	uintptr_t **leaf = &b->dir[pn >> b->leaf_shift];
	uintptr_t *slot;

	if (!*leaf && !(*leaf = (uintptr_t *)pool_take(b)))
		return NULL;
	slot = &(*leaf)[pn & ((1u << b->leaf_shift) - 1)];
	if (*slot & SLOT_DROPPED)
		*slot &= ~SLOT_DROPPED;
	else if (!*slot)
		*slot = (uintptr_t)pool_take(b);
	return (uint8_t *)*slot;
}

/* IN: page by page, a hole from zero_src. */
static size_t blk_read(struct vdpasim_blk *b, const struct uvdpa_chain *c, uint64_t off,
		       uint64_t len)
{
	uint64_t pos = off, end = off + len;
	size_t done = 0;

	while (pos < end) {
		uint64_t in = pos & (b->page - 1);
		size_t n = (size_t)(end - pos < b->page - in ? end - pos : b->page - in), w;
		const uint8_t *pg = page_get(b, pos / b->page);

		/* A hole copies cache-hot zeroes: plain stores (fresh reads
		 * were 7% slower with streaming ones). A whole written page
		 * from memory: see blk_read_nt_default. */
		if (b->read_nt && n == b->page && pg) {
			w = uvdpa_chain_write_nt(c, (size_t)(pos - off), pg, n);
			b->nt_pending = true;
		} else {
			w = uvdpa_chain_write(c, (size_t)(pos - off), pg ? pg + in : zero_src + in, n);
		}
		done += w;
		if (w < n)
			break;
		pos += n;
	}
	return done;
}

/* OUT: page by page from chain offset coff; false if memory ran out. */
static bool blk_write(struct vdpasim_blk *b, const struct uvdpa_chain *c, size_t coff,
		      uint64_t off, uint64_t len)
{
	uint64_t pos = off, end = off + len;

	while (pos < end) {
		uint64_t in = pos & (b->page - 1);
		size_t n = (size_t)(end - pos < b->page - in ? end - pos : b->page - in);
		uint8_t *pg = page_for_write(b, pos / b->page);

		if (!pg)
			return false;
		/* A whole page is not read before it is overwritten: its lines
		 * (cold, on a disk larger than the caches) skip the cache. */
		if (n == b->page) {
			uvdpa_chain_read_nt(c, coff + (size_t)(pos - off), pg, n);
			b->nt_pending = true;
		} else {
			uvdpa_chain_read(c, coff + (size_t)(pos - off), pg + in, n);
		}
		pos += n;
	}
	return true;
}

/* Whole pages [start, end) (page aligned) are holes again; leaves stay. */
static void pages_drop(struct vdpasim_blk *b, uint64_t start, uint64_t end)
{
	uint64_t pn = start / b->page, last = end / b->page;

	while (pn < last) {
		uint64_t leaf_end = ((pn >> b->leaf_shift) + 1) << b->leaf_shift;
		uintptr_t *slot = page_slot(b, pn);

		if (leaf_end > last)
			leaf_end = last;
		for (; slot && pn < leaf_end; pn++, slot++)
			if (*slot && !(*slot & SLOT_DROPPED))
				pool_give(b, slot);
		pn = leaf_end;
	}
}

/* Discard: whole pages become holes; partial pages are left as they are. */
static void blk_unmap_pages(struct vdpasim_blk *b, uint64_t off, uint64_t len)
{
	uint64_t start = (off + b->page - 1) & ~(uint64_t)(b->page - 1);
	uint64_t end = (off + len) & ~(uint64_t)(b->page - 1);

	if (end > start)
		pages_drop(b, start, end);
}

/* Zeroes [off, off + len) inside one page; a hole is zero already. */
static void page_zero(struct vdpasim_blk *b, uint64_t off, uint64_t len)
{
	uint8_t *pg = (uint8_t *)page_get(b, off / b->page);

	if (pg && len)
		memset(pg + (off & (b->page - 1)), 0, len);
}

static void blk_zero(struct vdpasim_blk *b, uint64_t off, uint64_t len)
{
	uint64_t start = (off + b->page - 1) & ~(uint64_t)(b->page - 1);
	uint64_t end = (off + len) & ~(uint64_t)(b->page - 1);

	if (end <= start) {
		/* Within one page, or across one page boundary. */
		uint64_t cut = (off / b->page + 1) * b->page;

		if (cut >= off + len) {
			page_zero(b, off, len);
		} else {
			page_zero(b, off, cut - off);
			page_zero(b, cut, off + len - cut);
		}
		return;
	}
	/* Large ranges cost no memory: the middle pages are dropped. */
	page_zero(b, off, start - off);
	pages_drop(b, start, end);
	page_zero(b, end, off + len - end);
}

static uint8_t blk_discard_wz(struct vdpasim_blk *b, const struct uvdpa_chain *c, uint32_t type)
{
	uint64_t sector, bytes;
	uint32_t flags;
	uint8_t st = blk_discard_range(c, type, &sector, &bytes, &flags);

	if (st != VIRTIO_BLK_S_OK)
		return st;
	if (!blk_range_ok(b, sector, bytes))
		return VIRTIO_BLK_S_IOERR;
	if (type == VIRTIO_BLK_T_WRITE_ZEROES)
		blk_zero(b, sector << SECTOR_SHIFT, bytes);
	else
		blk_unmap_pages(b, sector << SECTOR_SHIFT, bytes);
	return VIRTIO_BLK_S_OK;
}

/* The request header; false if the chain has none. Drivers put it in a
 * descriptor of its own, so the walk through segments is rarely needed. */
static bool blk_header(const struct uvdpa_chain *c, struct virtio_blk_outhdr *h)
{
	if (c->n_out && c->iov[0].iov_len >= sizeof(*h)) {
		memcpy(h, c->iov[0].iov_base, sizeof(*h));
		return true;
	}
	return uvdpa_chain_read(c, 0, h, sizeof(*h)) == sizeof(*h);
}

/* The status goes to the chain's last writable byte (in_len >= 1). */
static void blk_status(const struct uvdpa_chain *c, uint8_t st)
{
	const struct iovec *last = &c->iov[c->n_out + c->n_in - 1];

	if (c->n_in && last->iov_len)
		((uint8_t *)last->iov_base)[last->iov_len - 1] = st;
	else
		uvdpa_chain_write(c, c->in_len - 1, &st, 1);
}

/* Handles one request; returns the bytes written to the driver. */
static uint32_t blk_request(struct vdpasim_blk *b, const struct uvdpa_chain *c)
{
	struct virtio_blk_outhdr h;
	uint64_t sector, data_in, data_out;
	uint32_t type, written = 0;
	uint8_t st = VIRTIO_BLK_S_OK;

	/* No header or no status byte: nothing can be answered (kernel: the
	 * same, completed with length 0). */
	if (c->in_len < 1 || !blk_header(c, &h))
		return 0;
	type = le32toh(h.type);
	sector = le64toh(h.sector);
	data_in = c->in_len - 1;               /* the status byte is last */
	data_out = c->out_len - sizeof(h);

	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (!blk_range_ok(b, sector, data_in)) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		written = (uint32_t)blk_read(b, c, sector << SECTOR_SHIFT, data_in);
		break;
	case VIRTIO_BLK_T_OUT:
		if (!blk_range_ok(b, sector, data_out)) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		if (!blk_write(b, c, sizeof(h), sector << SECTOR_SHIFT, data_out))
			st = VIRTIO_BLK_S_IOERR;        /* the kernel gave no memory */
		break;
	case VIRTIO_BLK_T_FLUSH:
	case VIRTIO_BLK_T_GET_ID:
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		/* As the kernel: these carry no sector in the header. */
		if (sector != 0) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		if (type == VIRTIO_BLK_T_GET_ID) {
			char id[VIRTIO_BLK_ID_BYTES] = BLK_ID;

			written = (uint32_t)uvdpa_chain_write(c, 0, id,
				data_in < sizeof(id) ? data_in : sizeof(id));
		} else if (type != VIRTIO_BLK_T_FLUSH) {
			st = blk_discard_wz(b, c, type);
		}
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;   /* the kernel answers IOERR */
		break;
	}
	blk_status(c, st);
	return written + 1;
}

#define BLK_FLUSH_EVERY 8

/* Publishes the completions so far. */
static void blk_flush(struct devrt *s, struct vdpasim_blk *b, struct devrt_vq *vq)
{
	/* The streaming stores are ordered before the used index that
	 * publishes them (once per flush, not per request). */
	if (b->nt_pending) {
		uvdpa_chain_nt_fence();
		b->nt_pending = false;
	}
	devrt_flush(s, vq);
}

static unsigned blk_queue_work(struct devrt *s, struct devrt_vq *vq, bool *again)
{
	struct vdpasim_blk *b = sim_to_blk(s);
	struct uvdpa_chain c;
	unsigned done;

	for (done = 0; done < VDPASIM_BURST; done++) {
		uint32_t written = 0;
		int r;

		memset(&c, 0, sizeof(c));
		c.iov = b->iov;
		c.iov_cap = VDPASIM_CHAIN_IOV;
		r = devrt_pop(s, vq, &c);
		if (r == 0 || r == -EIO)
			break;
		if (r == 1)
			written = blk_request(b, &c);
		uvdpa_vq_dev_push(&vq->dev, &c, written);
		/* A driver that waits for completions gets them in groups,
		 * not only at the end of the pass. */
		if ((done + 1) % BLK_FLUSH_EVERY == 0)
			blk_flush(s, b, vq);
	}
	blk_flush(s, b, vq);
	if (done == VDPASIM_BURST)
		*again = true;
	return done;
}

static unsigned blk_work(struct devrt *s, bool *again)
{
	unsigned i, done = 0;

	for (i = 0; i < s->attr.nvqs; i++)
		if (devrt_vq_usable(&s->vqs[i]))
			done += blk_queue_work(s, &s->vqs[i], again);
	return done;
}

/* Rewritten on every read, as the kernel does. */
static void blk_get_config(struct devrt *s, void *config)
{
	struct vdpasim_blk *b = sim_to_blk(s);
	struct virtio_blk_config *c = config;

	memset(c, 0, sizeof(*c));
	c->capacity = htole64(b->capacity);
	c->size_max = htole32(BLK_SIZE_MAX);
	c->seg_max = htole32(BLK_SEG_MAX);
	c->num_queues = htole16(b->num_queues);
	c->blk_size = htole32(SECTOR_SIZE);
	c->min_io_size = htole16(1);
	c->opt_io_size = htole32(1);
	c->discard_sector_alignment = htole32(SECTOR_SIZE);
	c->max_discard_sectors = htole32(UINT32_MAX);
	c->max_discard_seg = htole32(1);
	c->max_write_zeroes_sectors = htole32(UINT32_MAX);
	c->max_write_zeroes_seg = htole32(1);
}

static void blk_free(struct devrt *s)
{
	struct blk_pool *p = &sim_to_blk(s)->pool;

	if (p->thread_started) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_mutex_unlock(&p->lock);
		pthread_cond_signal(&p->wake);
		pthread_join(p->thread, NULL);
	}
	while (p->chunks) {
		struct blk_chunk *c = p->chunks;

		p->chunks = c->next;
		munmap(c->addr, c->len);
		free(c);
	}
	free(p->free);
	free(sim_to_blk(s)->dir);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
}

/* UVDPA_BLK_POOL_PAGES: the pool bound (0: no pool, every first write maps). */
static unsigned pool_max_pages(void)
{
	const char *e = getenv("UVDPA_BLK_POOL_PAGES");
	char *end;
	unsigned long v;

	if (!e || !*e)
		return POOL_DEFAULT_PAGES;
	errno = 0;
	v = strtoul(e, &end, 10);
	if (errno || *end || v > POOL_MAX_PAGES)
		return POOL_DEFAULT_PAGES;
	return (unsigned)v;
}

/*
 * Whether a whole written page goes to the driver's buffer with streaming
 * stores. The driver's CPU reads that buffer next and the device writes it
 * again a queue depth later; which way costs less was measured to differ by
 * CPU (QD128 reads of a written disk over vhost-user, interleaved runs):
 * on an AMD EPYC (Zen 5) VM, whose two vCPUs were often on different core
 * complexes, streaming stores took it from 1.00 to 1.70 M IOPS; on an Intel
 * Xeon VM they made it 1.5-1.9x slower (0.63-0.86 against 0.92-1.30 M),
 * as the buffer's lines went to memory and back instead of staying in a
 * cache both CPUs reach. UVDPA_BLK_READ_NT=0|1 overrides the choice.
 */
static bool blk_read_nt_default(void)
{
	const char *e = getenv("UVDPA_BLK_READ_NT");

	if (e && (!strcmp(e, "0") || !strcmp(e, "1")))
		return *e == '1';
#if defined(__x86_64__)
	return __builtin_cpu_is("amd");
#else
	return false;
#endif
}

static int blk_pool_init(struct vdpasim_blk *b, const char *name)
{
	struct blk_pool *p = &b->pool;
	size_t entries = b->page / sizeof(uintptr_t);
	uint64_t pages = (b->disk_bytes + b->page - 1) / b->page;

	while ((1ULL << b->leaf_shift) < entries)
		b->leaf_shift++;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->max = pool_max_pages();
	p->chunk = p->max / 4 ? p->max / 4 : 1;
	b->ndir = (size_t)((pages + entries - 1) >> b->leaf_shift);
	b->dir = calloc(b->ndir, sizeof(*b->dir));
	p->free = calloc(p->max ? p->max : 1, sizeof(*p->free));
	if (!b->dir || !p->free)
		return -ENOMEM;
	/* Touched now (at most 4 MiB for 1 TiB) so no write faults on it. */
	memset(b->dir, 0, b->ndir * sizeof(*b->dir));
	snprintf(p->tname, sizeof(p->tname), "pool:%s", name ? name : "");
	return 0;
}

static int blk_dev_add(struct uvdpa_mgmtdev *m, const char *name,
		       const struct uvdpa_dev_set_config *cfg,
		       struct uvdpa_device **out, const char **msg)
{
	struct devrt_dev_attr attr = {
		.id = VIRTIO_ID_BLOCK,
		.supported_features = BLK_OFFERED,
		.config_size = sizeof(struct virtio_blk_config),
		.alloc_size = sizeof(struct vdpasim_blk),
		.work_fn = blk_work,
		.get_config = blk_get_config,
		.free = blk_free,
	};
	uint64_t capacity = BLK_DEFAULT_SECTORS;
	uint16_t queues = 1;
	struct vdpasim_blk *b;
	struct devrt *s;
	int err = 0;

	(void)m;
	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY)) {
		capacity = cfg->blk.capacity;
		if (capacity < 1 || capacity > BLK_MAX_SECTORS) {
			if (msg)
				*msg = "capacity must be between 1 and 2147483648 sectors (1 TiB)";
			return -EINVAL;
		}
	}
	if (cfg->mask & UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES)) {
		queues = cfg->blk.num_queues;
		if (queues < 1 || queues > BLK_MAX_QUEUES) {
			if (msg)
				*msg = "num_queues must be between 1 and 64";
			return -EINVAL;
		}
	}
	attr.nvqs = queues;
	s = devrt_create(&attr, cfg, name, &err);
	if (!s)
		return err;
	b = sim_to_blk(s);
	b->capacity = capacity;
	b->num_queues = queues;
	b->page = (size_t)sysconf(_SC_PAGESIZE);
	b->disk_bytes = (size_t)(capacity << SECTOR_SHIFT);
	b->read_nt = blk_read_nt_default();
	err = blk_pool_init(b, name);
	if (err) {
		devrt_destroy(s);
		return err;
	}
	*out = &s->vdev;
	return 0;
}

static void blk_dev_del(struct uvdpa_mgmtdev *m, struct uvdpa_device *d)
{
	(void)m;
	devrt_stop(vdpa_to_sim(d));
}

static const struct uvdpa_mgmtdev_ops blk_mgmt_ops = {
	.dev_add = blk_dev_add,
	.dev_del = blk_dev_del,
};

const struct uvdpa_mgmtdev vdpasim_blk_mgmtdev = {
	.bus_name = NULL,
	.dev_name = "vdpasim_blk",
	.ops = &blk_mgmt_ops,
	.id_classes = 1ULL << VIRTIO_ID_BLOCK,
	/* uvdpa extension: capacity, number of queues and device features
	 * may be provisioned (the kernel accepts no attribute here). */
	.config_attr_mask = UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_FEATURES) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_CAPACITY) |
			    UVDPA_ATTR_BIT(UVDPA_ATTR_DEV_BLK_CFG_NUM_QUEUES),
	/* What dev add accepts: device_features within this word, up to
	 * BLK_MAX_QUEUES queues. */
	.supported_features = BLK_OFFERED,
	.max_supported_vqs = BLK_MAX_QUEUES,
};
