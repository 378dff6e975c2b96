/* SPDX-License-Identifier: MIT */
/* live.c - the handles and replies the library handed out and that are not
 * yet released, so every ABI call refuses a pointer it never made (a 64-bit
 * handle cut to 32 bits by a ctypes declaration that kept the int return)
 * or one already released, instead of dereferencing it. */
#include <stdint.h>
#include <sys/mman.h>

#include "internal.h"

/*
 * One set is an open-addressing hash table of addresses with linear
 * probing: a slot holds 0 (empty), the address (live), or the address with
 * its low bit set (released: remembered, so the message can say "destroyed"
 * or "freed twice" rather than "not ours", until the slot is reused or the
 * table rebuilt). Lookups stop at the first empty slot; the table is rebuilt
 * (released entries dropped, grown if need be) once live and released
 * entries fill three quarters of it, so a lookup is O(1) on average.
 *
 * The table is mmap()ed rather than malloc()ed: it lives as long as the
 * process, outside the heap the caller's allocator accounts for (test-nomem
 * checks every run gives back what it allocated; valgrind reports nothing).
 */
struct live_set {
	pthread_mutex_t lock;
	uintptr_t *slots;
	unsigned int bits; /* the table has 1 << bits slots, or none (0) */
	size_t used;	   /* live and released entries */
	size_t live;
};

enum live_state { LIVE_UNKNOWN, LIVE_YES, LIVE_RELEASED };

#define RELEASED_BIT ((uintptr_t)1)
#define MIN_BITS 9 /* 512 slots: one 4 KiB page */

static size_t slot_count(const struct live_set *s)
{
	return s->bits ? (size_t)1 << s->bits : 0;
}

static size_t home(const struct live_set *s, uintptr_t p)
{
	/* Fibonacci hashing of the address without its alignment bits. */
	return (size_t)(((uint64_t)(p >> 3) * 0x9E3779B97F4A7C15ull) >> (64 - s->bits));
}

static enum live_state state_of(const struct live_set *s, const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	size_t mask = slot_count(s) - 1;

	/* Everything handed out is malloc-aligned: an odd or misaligned
	 * value was never ours (and must not match a released entry). */
	if (!s->bits || (p & 7) || !p)
		return LIVE_UNKNOWN;
	for (size_t i = home(s, p);; i = (i + 1) & mask) {
		if (s->slots[i] == 0)
			return LIVE_UNKNOWN;
		if (s->slots[i] == p)
			return LIVE_YES;
		if (s->slots[i] == (p | RELEASED_BIT))
			return LIVE_RELEASED;
	}
}

/* Put p into a table known to have room and not to hold p live. */
static void place(struct live_set *s, uintptr_t p)
{
	size_t mask = slot_count(s) - 1, reuse = SIZE_MAX;

	for (size_t i = home(s, p);; i = (i + 1) & mask) {
		if (s->slots[i] == (p | RELEASED_BIT)) {
			s->slots[i] = p;
			break;
		}
		if ((s->slots[i] & RELEASED_BIT) && reuse == SIZE_MAX)
			reuse = i;
		if (s->slots[i] == 0) {
			if (reuse != SIZE_MAX) {
				s->slots[reuse] = p;
			} else {
				s->slots[i] = p;
				s->used++;
			}
			break;
		}
	}
	s->live++;
}

/* Rebuild with only the live entries, in a table at most half full. */
static int rebuild(struct live_set *s)
{
	unsigned int bits = MIN_BITS;
	struct live_set fresh = { .bits = 0 };
	size_t old = slot_count(s);
	void *mem;

	while (((size_t)1 << bits) < 4 * (s->live + 1))
		bits++;
	mem = mmap(NULL, sizeof(uintptr_t) << bits, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (mem == MAP_FAILED)
		return CLIENT_ERR_NOMEM;
	fresh.slots = mem;
	fresh.bits = bits;
	for (size_t i = 0; i < old; i++)
		if (s->slots[i] && !(s->slots[i] & RELEASED_BIT))
			place(&fresh, s->slots[i]);
	if (s->slots)
		munmap(s->slots, old * sizeof(uintptr_t));
	s->slots = fresh.slots;
	s->bits = fresh.bits;
	s->used = fresh.used;
	s->live = fresh.live;
	return CLIENT_OK;
}

static int add(struct live_set *s, const void *ptr)
{
	if (s->used + 1 > slot_count(s) / 4 * 3 && rebuild(s))
		return CLIENT_ERR_NOMEM;
	place(s, (uintptr_t)ptr);
	return CLIENT_OK;
}

/* Mark ptr released; its state before. */
static enum live_state release(struct live_set *s, const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	enum live_state st = state_of(s, ptr);
	size_t mask = slot_count(s) - 1;

	if (st != LIVE_YES)
		return st;
	for (size_t i = home(s, p);; i = (i + 1) & mask) {
		if (s->slots[i] == p) {
			s->slots[i] = p | RELEASED_BIT;
			s->live--;
			return LIVE_YES;
		}
	}
}

/* ---- handles ----------------------------------------------------------
 * The set's lock also guards each handle's users and closing: checking that
 * a pointer is a live handle and counting the call in are one step, so a
 * client_destroy() on another thread cannot free the handle in between. */
static struct live_set handles = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int bad_handle(const struct client *c, enum live_state st, const char *fn)
{
	if (!c)
		return sc_err_set(CLIENT_ERR_ARG, "%s: handle is NULL", fn);
	if (st == LIVE_RELEASED)
		return sc_err_set(CLIENT_ERR_ARG,
				  "%s: this handle was destroyed (client_destroy); open the port again", fn);
	return sc_err_set(CLIENT_ERR_ARG,
			  "%s: not a handle returned by client_init_py: in ctypes, set restype = c_void_p",
			  fn);
}

int sc_live_handle_add(struct client *c)
{
	int ret;

	pthread_mutex_lock(&handles.lock);
	ret = add(&handles, c);
	pthread_mutex_unlock(&handles.lock);
	if (ret)
		return sc_err_set(ret, "%s: out of memory for the table of handles", c->cfg.port);
	return CLIENT_OK;
}

int sc_live_enter(struct client *c, const char *fn)
{
	enum live_state st;

	pthread_mutex_lock(&handles.lock);
	st = state_of(&handles, c);
	if (st == LIVE_YES)
		c->users++;
	pthread_mutex_unlock(&handles.lock);
	return st == LIVE_YES ? CLIENT_OK : bad_handle(c, st, fn);
}

void sc_live_leave(struct client *c)
{
	pthread_mutex_lock(&handles.lock);
	if (--c->users == 0 && c->closing)
		pthread_cond_broadcast(&c->users_done);
	pthread_mutex_unlock(&handles.lock);
}

int sc_live_handle_close(struct client *c, const char *fn)
{
	enum live_state st;

	pthread_mutex_lock(&handles.lock);
	st = release(&handles, c);
	if (st == LIVE_YES) {
		/* New calls now fail; calls already inside, running or queued
		 * on the handle's lock, finish first (each by its deadline). */
		c->closing = 1;
		while (c->users > 0)
			pthread_cond_wait(&c->users_done, &handles.lock);
	}
	pthread_mutex_unlock(&handles.lock);
	return st == LIVE_YES ? CLIENT_OK : bad_handle(c, st, fn);
}

/* ---- replies ---------------------------------------------------------- */
static struct live_set rets = { .lock = PTHREAD_MUTEX_INITIALIZER };

int sc_live_ret_add(struct client_ret *r)
{
	int ret;

	pthread_mutex_lock(&rets.lock);
	ret = add(&rets, r);
	pthread_mutex_unlock(&rets.lock);
	return ret;
}

int sc_live_ret_release(struct client_ret *r, const char *fn)
{
	enum live_state st;

	pthread_mutex_lock(&rets.lock);
	st = release(&rets, r);
	pthread_mutex_unlock(&rets.lock);
	if (st == LIVE_RELEASED)
		return sc_err_set(CLIENT_ERR_ARG,
				  "%s: this reply was already freed (client_free_ret called twice)", fn);
	if (st == LIVE_UNKNOWN)
		return sc_err_set(
			CLIENT_ERR_ARG,
			"%s: not a reply returned by this library: in ctypes, set restype = c_void_p"
			" (or POINTER(client_ret))",
			fn);
	return CLIENT_OK;
}
