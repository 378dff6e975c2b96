/* SPDX-License-Identifier: MIT */
/* test-faults.c - the library under hostile conditions: descriptors across
 * fork and exec, a handle used in a forked child, devices that flood,
 * a low descriptor limit, signals arriving while a command waits, and many
 * threads doing different things to one handle (run under TSan by make
 * check-tsan). Devices are devices/sim/serialcmd-sim on a pty, a pty of our own
 * that floods, and local TCP servers in threads (127.0.0.1 only). Every
 * wait, loop and child is bounded. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "faults.h"
#include "internal.h"
#include "expect.h"
#include "sim-helper.h"

/* ThreadSanitizer defers signal handlers to its own points: a handler may
 * run once for many signals that interrupted a sleep. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifdef UNDER_TSAN
#define MIN_SIGNALS 1
#else
#define MIN_SIGNALS 4
#endif

#define CHILD_TIMEOUT_MS 10000
#define MAX_FDS 256
/* What a 300 ms command may take past its deadline in these tests: the
 * library checks the deadline before every read, so it overshoots by one
 * read (microseconds); the rest is a margin for a loaded machine and for
 * valgrind. The old read loops, which looked at the deadline only when
 * nothing was waiting, took 3 s and more. */
#define FLOOD_TIMEOUT_MS 300
#define FLOOD_MARGIN_MS 200


static void expect_text(struct client *c, const char *cmd, const char *want)
{
	struct client_ret *r = client_send_cmd_reply(c, cmd);

	if (!r)
		fail_msg("'%s': %s", cmd, client_last_message());
	if (r->len != strlen(want) || memcmp(r->ret_data, want, r->len) != 0)
		fail_msg("'%s': got '%.*s', wanted '%s'", cmd, (int)r->len, r->ret_data, want);
	client_free_ret(r);
}

/* Wait for a child, bounded; kill it by its PID if it does not end. */
static int wait_child(pid_t pid)
{
	int status = 0;

	for (int waited = 0; waited < CHILD_TIMEOUT_MS; waited += 5) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fail_msg("child %d did not end within %d ms", (int)pid, CHILD_TIMEOUT_MS);
	return -1;
}

/* End a forked child. Under valgrind, by exec'ing a shell that exits with
 * the code: valgrind follows no exec, so the child's descriptors, which
 * are the parent's, are not reported as leaked by it. */
static void child_exit(int code)
{
	if (under_valgrind()) {
		char cmd[32];

		snprintf(cmd, sizeof(cmd), "exit %d", code);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	}
	_exit(code);
}

/* --- descriptors --------------------------------------------------------- */

struct fdinfo {
	int fd;
	char target[256];
};

/* The descriptors of this process and what they point at. */
static int list_fds(struct fdinfo *out, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) && n < max) {
		char path[300];
		ssize_t len;
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, out[n].target, sizeof(out[n].target) - 1);
		if (len <= 0)
			continue;
		out[n].target[len] = '\0';
		out[n].fd = fd;
		n++;
	}
	closedir(d);
	return n;
}

/* A local TCP server on 127.0.0.1: accepts one connection; in rfc2217 mode
 * it agrees to the COM-PORT-OPTION; it reads and discards until the client
 * closes or stop is set, and meanwhile may flood the client without end.
 * Its sockets are close-on-exec. */
enum flood {
	FLOOD_NONE,
	FLOOD_DATA,   /* 'f' bytes, never a terminator */
	FLOOD_TELNET, /* RFC 2217 NOTIFY-MODEMSTATE sub-negotiations: no data at all */
};

struct server {
	int listen_fd, port, rfc2217;
	enum flood flood;
	int stop; /* atomic */
	pthread_t thread;
};

/* A buffer of whole repeats of what a flood sends; its period in *period. */
static size_t flood_pattern(enum flood flood, char *buf, size_t size, size_t *period)
{
	static const char modemstate[] = { (char)255, (char)250, 44, 107, 0, (char)255, (char)240 };
	size_t n = 0;

	*period = flood == FLOOD_TELNET ? sizeof(modemstate) : 1;
	while (n + *period <= size) {
		if (flood == FLOOD_TELNET)
			memcpy(buf + n, modemstate, sizeof(modemstate));
		else
			buf[n] = 'f';
		n += *period;
	}
	return n;
}

static void *server_run(void *arg)
{
	struct server *s = arg;
	int fd = -1;
	int64_t t0 = sc_clock_now_ns();
	char pattern[4096];
	size_t period, plen = flood_pattern(s->flood, pattern, sizeof(pattern), &period), at = 0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) && ms_since(t0) < 20000) {
		struct pollfd pfd = { .fd = fd >= 0 ? fd : s->listen_fd, .events = POLLIN };
		char buf[512];

		if (fd >= 0 && s->flood)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		if (fd < 0) {
			static const unsigned char will[] = { 255, 253, 44 }; /* IAC DO COM-PORT-OPTION */

			fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0 && s->rfc2217 &&
			    send(fd, will, sizeof(will), MSG_NOSIGNAL) != sizeof(will))
				break;
			continue;
		}
		if (pfd.revents & POLLOUT) {
			/* Resume where the last send stopped, whole Telnet
			 * sequences in order. */
			ssize_t n = send(fd, pattern + at, plen - period, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n < 0 && errno != EAGAIN && errno != EINTR)
				break;
			if (n > 0)
				at = (at + (size_t)n) % period;
		}
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && read(fd, buf, sizeof(buf)) <= 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void server_start_flood(struct server *s, int rfc2217, enum flood flood)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->rfc2217 = rfc2217;
	s->flood = flood;
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->listen_fd, 4), 0);
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, server_run, s), 0);
}

static void server_start(struct server *s, int rfc2217)
{
	server_start_flood(s, rfc2217, FLOOD_NONE);
}

static void server_stop(struct server *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
}

/* Every descriptor the library holds is close-on-exec: a program started
 * with fork and exec (here ls, listing its own /proc/self/fd) sees none of
 * them: not the pty of a local port, not the socket of a network port. */
static void test_no_fd_leak_into_exec(void **state)
{
	struct sim_fixture *fx = *state;
	struct fdinfo before[MAX_FDS], after[MAX_FDS], mine[MAX_FDS];
	struct server raw, rfc;
	struct client *c[3];
	char spec[128], out[8192];
	int nb, na, nmine = 0, pipefd[2], status;
	size_t got = 0;
	pid_t pid;

	server_start(&raw, 0);
	server_start(&rfc, 1);
	nb = list_fds(before, MAX_FDS);
	c[0] = open_spec(fx->spec);
	snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%d?timeout_ms=3000", raw.port);
	c[1] = open_spec(spec);
	snprintf(spec, sizeof(spec), "rfc2217://127.0.0.1:%d?timeout_ms=3000", rfc.port);
	c[2] = open_spec(spec);
	na = list_fds(after, MAX_FDS);
	/* What the three handles opened. */
	for (int i = 0; i < na; i++) {
		int old = 0;

		for (int j = 0; j < nb; j++)
			old |= before[j].fd == after[i].fd && strcmp(before[j].target, after[i].target) == 0;
		if (!old)
			mine[nmine++] = after[i];
	}
	assert_true(nmine >= 3);

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execl("/bin/ls", "ls", "-l", "/proc/self/fd/", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, CHILD_TIMEOUT_MS) <= 0 || got >= sizeof(out) - 1)
			break;
		n = read(pipefd[0], out + got, sizeof(out) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(pipefd[0]);
	status = wait_child(pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(out, " 1 -> ")); /* ls did list its descriptors */
	for (int i = 0; i < nmine; i++) {
		char pattern[300];

		snprintf(pattern, sizeof(pattern), "-> %s\n", mine[i].target);
		if (strstr(out, pattern))
			fail_msg("descriptor %d (%s) leaked into an exec'd child:\n%s", mine[i].fd,
				 mine[i].target, out);
	}
	for (int i = 0; i < 3; i++)
		client_destroy(c[i]);
	server_stop(&raw);
	server_stop(&rfc);
}

/* The descriptor of this process that points at path, or -1. */
static int fd_of(const char *path)
{
	struct fdinfo fds[MAX_FDS];
	int n = list_fds(fds, MAX_FDS);

	for (int i = 0; i < n; i++)
		if (strcmp(fds[i].target, path) == 0)
			return fds[i].fd;
	return -1;
}

/* A handle used after fork() in the child, with no other thread inside it
 * at the fork: it works there (the child has a copy of the handle and the
 * same open file description of the port), and the parent's handle keeps
 * working after the child used it, exited without destroying it, or
 * destroyed it. Documented in SECURITY.md ("fork"): the port's flock stays
 * with the parent, so a new open is still refused, and the child's destroy
 * leaves TIOCEXCL, a flag of the terminal, set: only the process that
 * opened the port clears it. */
static void test_handle_after_fork(void **state)
{
	struct sim_fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	int status, fd, excl = -1;
	pid_t pid;

	expect_text(c, FAULT_IDN, SIM_IDN);
	for (int destroy = 0; destroy <= 1; destroy++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct client_ret *r = client_send_cmd_reply(c, FAULT_LATE " 0 child");
			int ok = r && strcmp(r->ret_data, "child") == 0;

			client_free_ret(r);
			if (destroy)
				client_destroy(c);
			child_exit(ok ? 0 : 1);
		}
		status = wait_child(pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		/* The parent's handle is unharmed. */
		expect_text(c, FAULT_LATE " 0 parent", "parent");
		/* Still locked against a second open. */
		assert_null(client_init_py(fx->spec));
		assert_int_equal(client_last_error(), CLIENT_ERR_BUSY);
	}
	fd = fd_of(fx->sim.path);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, TIOCGEXCL, &excl), 0);
	assert_int_equal(excl, 1);
	client_destroy(c);
}

/* --- floods -------------------------------------------------------------- */

/* A reply far longer than max_reply (SIZE 20 MB, max_reply 4096) is refused
 * as too long, read on and dropped up to its terminator, with memory
 * bounded by max_reply, not by the reply; the next command is answered. */
static void test_flood_size(void **state)
{
	struct sim_fixture *fx = *state;
	char spec[600];
	struct client *c;
	long hwm0, rss0;
	int64_t t0;

	snprintf(spec, sizeof(spec), "%s?max_reply=4096&timeout_ms=20000", fx->sim.path);
	c = open_spec(spec);
	expect_text(c, FAULT_IDN, SIM_IDN);
	hwm0 = proc_status_kib("VmHWM");
	rss0 = proc_status_kib("VmRSS");
	t0 = sc_clock_now_ns();
	expect_error(c, FAULT_SIZE " 20000000", CLIENT_ERR_TOOLONG, "discarded up to its terminator");
	print_message("20 MB reply refused in %lld ms; VmRSS %ld -> %ld KiB, VmHWM %ld -> %ld KiB\n",
		      (long long)ms_since(t0), rss0, proc_status_kib("VmRSS"), hwm0,
		      proc_status_kib("VmHWM"));
	if (!under_valgrind())
		assert_true(proc_status_kib("VmHWM") - hwm0 < 16 * 1024);
	expect_text(c, FAULT_IDN, SIM_IDN);
	client_destroy(c);
}

/* TRICKLE 0: 't' bytes as fast as the simulator can write them, no
 * terminator (100000 of them, until the client sends anything): too long
 * at max_reply, dropped until the deadline, which holds. */
static void test_flood_trickle(void **state)
{
	struct sim_fixture *fx = *state;
	char spec[600];
	struct client *c;
	struct client_ret *r = NULL;
	int64_t t0;

	snprintf(spec, sizeof(spec), "%s?max_reply=1000&timeout_ms=400", fx->sim.path);
	c = open_spec(spec);
	t0 = sc_clock_now_ns();
	expect_error(c, FAULT_TRICKLE " 0", CLIENT_ERR_TOOLONG, "max_reply=1000");
	assert_true(ms_since(t0) < 3000);
	/* A byte or two of the flood may still be on the wire when the next
	 * command starts (nobody can tell them from its answer); a second try
	 * is clean. */
	for (int i = 0; i < 3 && !r; i++) {
		r = client_send_cmd_reply(c, FAULT_IDN);
		if (r && strcmp(r->ret_data, SIM_IDN) != 0) {
			client_free_ret(r);
			r = NULL;
		}
	}
	assert_non_null(r);
	client_free_ret(r);
	client_destroy(c);
}

/* A device that never stops sending (a pty of ours, written by a thread
 * until told to stop): every command fails as too long by its deadline,
 * stale-input draining stays bounded, and memory does not grow. */
struct flooder {
	int master;
	int stop;	 /* atomic */
	int terminators; /* put a '\n' every 5000 bytes */
	pthread_t thread;
};

static void *flood_run(void *arg)
{
	struct flooder *fl = arg;
	char buf[4096];
	int64_t t0 = sc_clock_now_ns();
	size_t sent = 0;

	while (!__atomic_load_n(&fl->stop, __ATOMIC_ACQUIRE) && ms_since(t0) < 30000) {
		struct pollfd pfd = { .fd = fl->master, .events = POLLOUT };
		ssize_t n;

		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = fl->terminators && (sent + k) % 5000 == 4999 ? '\n' : 'f';
		n = write(fl->master, buf, sizeof(buf));
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		poll(&pfd, 1, 10);
	}
	return NULL;
}

static void flood_test(int terminators)
{
	struct flooder fl = { .terminators = terminators };
	char name[256], spec[300];
	struct termios t;
	struct client *c;
	long rss0, rss1;
	int slave, refused = 0;

	assert_int_equal(openpty(&fl.master, &slave, name, NULL, NULL), 0);
	fcntl(fl.master, F_SETFD, FD_CLOEXEC);
	fcntl(slave, F_SETFD, FD_CLOEXEC);
	fcntl(fl.master, F_SETFL, fcntl(fl.master, F_GETFL) | O_NONBLOCK);
	tcgetattr(slave, &t);
	cfmakeraw(&t);
	tcsetattr(slave, TCSANOW, &t);
	assert_int_equal(pthread_create(&fl.thread, NULL, flood_run, &fl), 0);
	snprintf(spec, sizeof(spec), "%s?max_reply=1000&timeout_ms=%d", name, FLOOD_TIMEOUT_MS);
	c = open_spec(spec);
	rss0 = proc_status_kib("VmRSS");
	for (int i = 0; i < 6; i++) {
		struct client_ret *r;
		int64_t t0 = sc_clock_now_ns();

		r = i % 2 ? client_read_reply(c) : client_send_cmd_reply(c, "FLOOD?");
		if (r && terminators) {
			/* The tail of a line that started before the command:
			 * shorter than max_reply, so it is a reply. */
			assert_true(r->len <= 1000);
			assert_null(memchr(r->ret_data, '\n', r->len));
			client_free_ret(r);
			continue;
		}
		assert_null(r);
		if (terminators && client_last_error() == CLIENT_ERR_TIMEOUT) {
			/* After a failure the line must go quiet (settle_ms)
			 * before a command is written; lines that never stop
			 * fail it, since any of them could pass for its reply. */
			if ((!strstr(client_last_message(), "kept sending lines") &&
			     !strstr(client_last_message(), "never went quiet")) ||
			    !strstr(client_last_message(), "nothing was written"))
				fail_msg("command %d: %s", i, client_last_message());
		} else {
			assert_int_equal(client_last_error(), CLIENT_ERR_TOOLONG);
			assert_non_null(strstr(client_last_message(), "max_reply=1000"));
		}
		refused++;
		/* Within the deadline (the drain of stale input comes before
		 * the deadline's end, and is bounded). */
		if (ms_since(t0) >= FLOOD_TIMEOUT_MS + FLOOD_MARGIN_MS)
			fail_msg("command %d took %lld ms", i, (long long)ms_since(t0));
	}
	rss1 = proc_status_kib("VmRSS");
	print_message("flood%s: %d of 6 commands refused; VmRSS %ld -> %ld KiB\n",
		      terminators ? " of 5000-byte lines" : " without end", refused, rss0, rss1);
	assert_true(refused >= 3);
	if (!under_valgrind())
		assert_true(rss1 - rss0 < 8 * 1024);
	__atomic_store_n(&fl.stop, 1, __ATOMIC_RELEASE);
	pthread_join(fl.thread, NULL);
	client_destroy(c);
	close(slave);
	close(fl.master);
}

/* A server that never stops sending, data or Telnet commands only, cannot
 * hold a command past its deadline on tcp:// or rfc2217://. */
static void flood_net(int rfc2217, enum flood flood, int code)
{
	struct server s;
	struct client *c;
	char spec[128];
	int64_t worst = 0;

	server_start_flood(&s, rfc2217, flood);
	snprintf(spec, sizeof(spec), "%s://127.0.0.1:%d?timeout_ms=%d&max_reply=1000",
		 rfc2217 ? "rfc2217" : "tcp", s.port, FLOOD_TIMEOUT_MS);
	c = open_spec(spec);
	for (int i = 0; i < 3; i++) {
		int64_t t0 = sc_clock_now_ns(), ms;

		assert_null(client_send_cmd_reply(c, "FLOOD?"));
		ms = ms_since(t0);
		if (client_last_error() != code)
			fail_msg("%s: %s", spec, client_last_message());
		if (ms > worst)
			worst = ms;
	}
	print_message("%s flood of %s: 3 commands, the slowest took %lld ms (timeout %d ms)\n",
		      rfc2217 ? "rfc2217://" : "tcp://", flood == FLOOD_DATA ? "data" : "Telnet commands",
		      (long long)worst, FLOOD_TIMEOUT_MS);
	assert_true(worst < FLOOD_TIMEOUT_MS + FLOOD_MARGIN_MS);
	client_destroy(c);
	server_stop(&s);
}

static void test_flood_net_deadline(void **state)
{
	(void)state;
	flood_net(0, FLOOD_DATA, CLIENT_ERR_TOOLONG);
	flood_net(1, FLOOD_DATA, CLIENT_ERR_TOOLONG);
	flood_net(1, FLOOD_TELNET, CLIENT_ERR_TIMEOUT);
}

/* A pty of ours that answers the first command line with the given bytes,
 * in one write. */
struct responder {
	int master;
	const char *answer;
	size_t len;
	pthread_t thread;
};

static void *respond_run(void *arg)
{
	struct responder *rs = arg;
	int64_t t0 = sc_clock_now_ns();
	char buf[256];

	while (ms_since(t0) < 10000) {
		struct pollfd pfd = { .fd = rs->master, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(rs->master, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (memchr(buf, '\n', (size_t)n)) {
			if (write(rs->master, rs->answer, rs->len) != (ssize_t)rs->len)
				fail_msg("responder: short write");
			break;
		}
	}
	return NULL;
}

/* A too-long reply whose terminator came with it is refused at once, not
 * read on until the deadline, and the reply after it, already buffered, is
 * the next read's. Two ways to get there: a #0 block longer than max_reply
 * (its header read brings all of it), and a long line right after a block. */
static void expect_too_long_at_once(struct client *c, struct client_ret *r, int64_t t0, const char *what)
{
	int64_t ms = ms_since(t0);

	assert_null(r);
	if (client_last_error() != CLIENT_ERR_TOOLONG ||
	    !strstr(client_last_message(), "discarded up to its terminator"))
		fail_msg("%s: %s", what, client_last_message());
	print_message("%s refused in %lld ms (timeout 3000 ms)\n", what, (long long)ms);
	assert_true(ms < 1500);
	r = client_read_reply(c);
	if (!r)
		fail_msg("the reply after the %s: %s", what, client_last_message());
	assert_string_equal(r->ret_data, "NEXT");
	client_free_ret(r);
}

static void too_long_then_next(int after_block)
{
	static char answer[600];
	struct responder rs = { .answer = answer };
	char name[256], spec[300];
	struct client_ret *r;
	struct termios t;
	struct client *c;
	int slave;
	size_t n = 0;

	if (after_block) {
		memcpy(answer, "#15hello\n", 9);
		n = 9;
	} else {
		memcpy(answer, "#0", 2);
		n = 2;
	}
	memset(answer + n, 'x', 500);
	memcpy(answer + n + 500, "\nNEXT\n", 6);
	rs.len = n + 506;
	assert_int_equal(openpty(&rs.master, &slave, name, NULL, NULL), 0);
	fcntl(rs.master, F_SETFD, FD_CLOEXEC);
	fcntl(slave, F_SETFD, FD_CLOEXEC);
	tcgetattr(slave, &t);
	cfmakeraw(&t);
	tcsetattr(slave, TCSANOW, &t);
	snprintf(spec, sizeof(spec), "%s?max_reply=100&timeout_ms=3000", name);
	c = open_spec(spec);
	assert_int_equal(pthread_create(&rs.thread, NULL, respond_run, &rs), 0);
	if (after_block) {
		r = client_query_block(c, "DATA?");
		if (!r)
			fail_msg("block: %s", client_last_message());
		assert_string_equal(r->ret_data, "hello");
		client_free_ret(r);
		expect_too_long_at_once(c, client_read_reply(c), sc_clock_now_ns(),
					"too long line after a block");
	} else {
		int64_t t0 = sc_clock_now_ns();

		expect_too_long_at_once(c, client_query_block(c, "DATA?"), t0, "too long #0 block");
	}
	pthread_join(rs.thread, NULL);
	client_destroy(c);
	close(slave);
	close(rs.master);
}

static void test_too_long_buffered_terminator(void **state)
{
	(void)state;
	too_long_then_next(0);
	too_long_then_next(1);
}

static void test_flood_never_ends(void **state)
{
	(void)state;
	flood_test(0);
}

static void test_flood_long_lines(void **state)
{
	(void)state;
	flood_test(1);
}

/* --- resource limits ----------------------------------------------------- */

/* With no descriptor to spare (RLIMIT_NOFILE 0, in a child), opening a
 * port, a network port, a profile and the port list fail with an error
 * that says so, never a crash. Exit codes name the step that failed. */
static void test_rlimit_nofile(void **state)
{
	struct sim_fixture *fx = *state;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 0, 0 };
		struct client_config cfg;
		struct client_port_info *ports = NULL;
		struct client *c;

		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(2);
		rl.rlim_cur = 0;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(3);
		c = client_init_py(fx->spec);
		if (c || client_last_error() != CLIENT_ERR_IO || !strstr(client_last_message(), "open files"))
			_exit(4);
		c = client_init_py("tcp://127.0.0.1:9?timeout_ms=500");
		if (c || client_last_error() >= 0 || !client_last_message()[0])
			_exit(5);
		if (client_config_parse(&cfg, "x?profile=keithley2000") == CLIENT_OK ||
		    !strstr(client_last_message(), "open files"))
			_exit(6);
		if (client_list_ports(&ports, 0) >= 0)
			_exit(7);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		child_exit(0);
	}
	status = wait_child(pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- signals ------------------------------------------------------------- */

static volatile sig_atomic_t signals_seen;

static void count_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

/* Children that exit while a command waits: a thread that blocks SIGCHLD
 * forks one every 10 ms and reaps it by its PID, so every SIGCHLD lands on
 * the thread in the library. */
struct reaper {
	int stop; /* atomic */
	int children;
	pthread_t thread;
};

static void *reaper_run(void *arg)
{
	struct reaper *rp = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < 1000 && !__atomic_load_n(&rp->stop, __ATOMIC_ACQUIRE); i++) {
		int status;
		pid_t pid = fork();

		if (pid == 0)
			child_exit(0);
		if (pid < 0)
			break;
		waitpid(pid, &status, 0);
		rp->children++;
		usleep(10000);
	}
	return NULL;
}

static void test_sigchld_during_command(void **state)
{
	struct sim_fixture *fx = *state;
	struct sigaction sa = { .sa_handler = count_signal }, old; /* no SA_RESTART */
	struct reaper rp = { 0 };
	struct client *c;
	int64_t t0;

	sigaction(SIGCHLD, &sa, &old);
	c = open_spec(fx->spec);
	signals_seen = 0;
	assert_int_equal(pthread_create(&rp.thread, NULL, reaper_run, &rp), 0);
	t0 = sc_clock_now_ns();
	expect_text(c, FAULT_LATE " 300 after children", "after children");
	assert_true(ms_since(t0) >= 250);
	/* Nor do they stretch the deadline. (The same handle: a child forked
	 * while a handle is open holds the port's lock until it execs or
	 * exits, so a new open could briefly find the port busy.) */
	assert_int_equal(client_set_timeout(c, 200), CLIENT_OK);
	t0 = sc_clock_now_ns();
	expect_error(c, FAULT_SILENT, CLIENT_ERR_TIMEOUT, NULL);
	assert_true(ms_since(t0) < 2000);
	__atomic_store_n(&rp.stop, 1, __ATOMIC_RELEASE);
	pthread_join(rp.thread, NULL);
	sigaction(SIGCHLD, &old, NULL);
	print_message("%d children exited, %d SIGCHLD handled during the commands\n", rp.children,
		      (int)signals_seen);
	assert_true(signals_seen >= MIN_SIGNALS);
	client_destroy(c);
}

/* Signals during the pauses the library takes (query_delay_ms) do not cut
 * them short. */
static void test_signals_during_pauses(void **state)
{
	struct sim_fixture *fx = *state;
	struct sigaction sa = { .sa_handler = count_signal }, old;
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, off = { { 0, 0 }, { 0, 0 } };
	char spec[600];
	struct client *c;
	int64_t t0;

	snprintf(spec, sizeof(spec), "%s?timeout_ms=3000&query_delay_ms=200", fx->sim.path);
	c = open_spec(spec);
	sigaction(SIGALRM, &sa, &old);
	signals_seen = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = sc_clock_now_ns();
	expect_text(c, FAULT_LATE " 0 paused", "paused");
	assert_true(ms_since(t0) >= 195);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	print_message("%d SIGALRM handled during a 200 ms pause\n", (int)signals_seen);
	assert_true(signals_seen >= MIN_SIGNALS);
	client_destroy(c);
}

/* --- threads ------------------------------------------------------------- */

struct mixer {
	struct client *c;
	int id, kind, failures;
};

static int trace_calls; /* updated atomically */

static void count_trace(void *user, const char *line)
{
	(void)user;
	(void)line;
	__atomic_add_fetch(&trace_calls, 1, __ATOMIC_RELAXED);
}

/* Each thread does one kind of thing to the shared handle, 100 times, and
 * checks that its own last error is its own. */
static void *mixer_run(void *arg)
{
	struct mixer *m = arg;
	char cmd[128], want[64];

	for (int i = 0; i < 100; i++) {
		struct client_ret *r;

		switch (m->kind) {
		case 0: /* queries */
			snprintf(want, sizeof(want), "t%d-%d", m->id, i);
			snprintf(cmd, sizeof(cmd), FAULT_LATE " 0 %s", want);
			r = client_send_cmd_reply(m->c, cmd);
			if (!r || strcmp(r->ret_data, want) != 0 || client_last_error() != CLIENT_OK)
				m->failures++;
			client_free_ret(r);
			break;
		case 1: /* refused commands: an error of this thread only */
			if (client_send_cmd(m->c, "BAD\x01") != CLIENT_ERR_COMMAND ||
			    client_last_error() != CLIENT_ERR_COMMAND)
				m->failures++;
			break;
		case 2: /* the deadline, changed while commands run */
			if (client_set_timeout(m->c, 2000 + (unsigned)i) != CLIENT_OK ||
			    client_get_timeout(m->c) < 2000 || client_last_error() != CLIENT_OK)
				m->failures++;
			break;
		case 3: /* the trace callback, installed and removed */
			if (client_set_trace(m->c, i % 2 ? count_trace : NULL, NULL) != CLIENT_OK)
				m->failures++;
			break;
		}
	}
	return NULL;
}

static void test_threads_mixed(void **state)
{
	struct sim_fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	struct mixer m[6];
	pthread_t t[6];
	static const int kinds[6] = { 0, 0, 0, 1, 2, 3 };

	for (int i = 0; i < 6; i++) {
		m[i] = (struct mixer){ .c = c, .id = i, .kind = kinds[i] };
		assert_int_equal(pthread_create(&t[i], NULL, mixer_run, &m[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(m[i].failures, 0);
	}
	client_set_trace(c, NULL, NULL);
	expect_text(c, FAULT_IDN, SIM_IDN);
	client_destroy(c);
}

/* --- settings and checks ------------------------------------------------- */

/* Every line setting reaches the pty and the handle works with it; a rate
 * termios does not know is refused with the option named. */
static void test_line_settings(void **state)
{
	/* On a pseudo-terminal Linux keeps CS8 without parity; a request for
	 * anything else that changed nothing else failed with EINVAL
	 * ("tcsetattr: Invalid argument"), so the order matters: 7N1 right
	 * after 8N1, and 7E1 twice, failed before the termios backend stopped
	 * asking a pty for them. */
	static const char *const settings[] = {
		"bits=7",		"parity=even",	      "parity=even&bits=7", "parity=even&bits=7",
		"parity=odd",		"parity=even&bits=7", "parity=mark&stop=2", "parity=space&bits=6",
		"bits=5",		"flow=xonxoff",	      "flow=rtscts",	    "flow=dtrdsr",
		"baud=115200",		"baud=50",
	};
	struct sim_fixture *fx = *state;
	char spec[700];
	struct client *c;

	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		snprintf(spec, sizeof(spec), "%s&%s", fx->spec, settings[i]);
		c = open_spec(spec);
		expect_text(c, FAULT_IDN, SIM_IDN);
		client_destroy(c);
	}
	snprintf(spec, sizeof(spec), "%s&baud=12345", fx->spec);
	assert_null(client_init_py(spec));
	assert_int_equal(client_last_error(), CLIENT_ERR_OPTION);
	assert_non_null(strstr(client_last_message(), "12345"));
}

/* A config filled in by hand is checked field by field before anything is
 * opened. */
static void test_config_checks(void **state)
{
	struct client_config good, cfg;

	(void)state;
	assert_null(client_open(NULL));
	assert_int_equal(client_last_error(), CLIENT_ERR_ARG);
	assert_int_equal(client_config_parse(&good, "/dev/serialcmd-not-opened"), CLIENT_OK);
	for (int field = 0; field < 11; field++) {
		cfg = good;
		switch (field) {
		case 0: cfg.port[0] = '\0'; break;
		case 1: memset(cfg.port, 'x', sizeof(cfg.port)); break;
		case 2: cfg.baud = 0; break;
		case 3: cfg.bits = 4; break;
		case 4: cfg.parity = (enum client_parity)7; break;
		case 5: cfg.stop = 3; break;
		case 6: cfg.flow = (enum client_flow)9; break;
		case 7: cfg.read_eol_len = 0; break;
		case 8: cfg.write_eol_len = CLIENT_EOL_MAX + 1; break;
		case 9: cfg.timeout_ms = 0; break;
		case 10: cfg.max_reply = ((size_t)1 << 30) + 1; break;
		}
		assert_null(client_open(&cfg));
		if (client_last_error() != CLIENT_ERR_OPTION)
			fail_msg("field %d: %s", field, client_last_message());
	}
}

/* Traces escape what they show: tabs, backslashes, control bytes. */
static char last_trace[2048];

static void keep_trace(void *user, const char *line)
{
	(void)user;
	snprintf(last_trace, sizeof(last_trace), "%s", line);
}

static void test_trace_escapes(void **state)
{
	struct sim_fixture *fx = *state;
	struct client *c = open_spec(fx->spec);
	double *v = NULL;

	assert_int_equal(client_set_trace(c, keep_trace, NULL), CLIENT_OK);
	expect_text(c, FAULT_LATE " 0 a\tb\\c\"d", "a\tb\\c\"d");
	if (!strstr(last_trace, "\"a\\tb\\\\c\"d\""))
		fail_msg("trace: %s", last_trace);
	client_destroy(c);
	/* A message that quotes more than fits is cut between escapes. */
	assert_true(
		client_parse_values("1,\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15\x16",
				    19, ",", &v) < 0);
	assert_null(v);
	assert_non_null(strstr(client_last_message(), "\\x01"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_fd_leak_into_exec, sim_setup_faulty, sim_teardown),
		cmocka_unit_test_setup_teardown(test_handle_after_fork, sim_setup_faulty, sim_teardown),
		cmocka_unit_test_setup_teardown(test_flood_size, sim_setup_faulty, sim_teardown),
		cmocka_unit_test_setup_teardown(test_flood_trickle, sim_setup_faulty, sim_teardown),
		cmocka_unit_test(test_flood_never_ends),
		cmocka_unit_test(test_flood_long_lines),
		cmocka_unit_test(test_flood_net_deadline),
		cmocka_unit_test(test_too_long_buffered_terminator),
		cmocka_unit_test_setup_teardown(test_rlimit_nofile, sim_setup_faulty, sim_teardown),
		cmocka_unit_test_setup_teardown(test_sigchld_during_command, sim_setup_faulty, sim_teardown),
		cmocka_unit_test_setup_teardown(test_signals_during_pauses, sim_setup_faulty, sim_teardown),
		cmocka_unit_test_setup_teardown(test_threads_mixed, sim_setup_faulty, sim_teardown),
		cmocka_unit_test_setup_teardown(test_line_settings, sim_setup_faulty, sim_teardown),
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test_setup_teardown(test_trace_escapes, sim_setup_faulty, sim_teardown),
	};

	return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
