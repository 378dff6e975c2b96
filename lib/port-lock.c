/* SPDX-License-Identifier: MIT */
/* port-lock.c - exclusive use of a local port (flock + TIOCEXCL), and the
 * errors of opening one: a busy port's names the process holding it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"

/* Bounds for the /proc walks, so a busy error never takes long. */
#define MAX_LOCK_LINES 100000
#define MAX_PROCS 100000
#define MAX_FDS_PER_PROC 4096

/* The pid that holds a flock() on the file at st, from /proc/locks. */
static pid_t holder_from_locks(const struct stat *st)
{
	char line[256];
	FILE *f = fopen("/proc/locks", "re");
	pid_t found = 0;

	if (!f)
		return 0;
	for (int n = 0; n < MAX_LOCK_LINES && fgets(line, sizeof(line), f); n++) {
		char type[16];
		int pid;
		unsigned maj, min;
		unsigned long ino;

		/* "1: FLOCK  ADVISORY  WRITE 1234 00:05:87 0 EOF"; waiters have "->". */
		if (strstr(line, "->"))
			continue;
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", type, &pid, &maj, &min, &ino) != 5)
			continue;
		if (maj == major(st->st_dev) && min == minor(st->st_dev) && ino == st->st_ino && pid > 0) {
			found = pid;
			break;
		}
	}
	fclose(f);
	return found;
}

/* A process (not us) with the character device rdev open, from /proc/PID/fd. */
static pid_t holder_from_fds(dev_t rdev)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;
	int procs = 0;

	if (!proc)
		return 0;
	while (!found && procs++ < MAX_PROCS && (de = readdir(proc))) {
		char path[64];
		pid_t pid = (pid_t)atoi(de->d_name);
		DIR *fds;
		struct dirent *fe;
		int n = 0;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while (n++ < MAX_FDS_PER_PROC && (fe = readdir(fds))) {
			char fdpath[96];
			struct stat st;

			snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd/%.16s", (int)pid, fe->d_name);
			if (fe->d_name[0] != '.' && stat(fdpath, &st) == 0 && S_ISCHR(st.st_mode) &&
			    st.st_rdev == rdev) {
				found = pid;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

static int port_busy_error(const char *port, const char *cause)
{
	struct stat st;
	pid_t pid = 0;
	char comm[64] = "", esc[sizeof(comm) * 4];

	if (stat(port, &st) == 0) {
		pid = holder_from_locks(&st);
		if (!pid && S_ISCHR(st.st_mode))
			pid = holder_from_fds(st.st_rdev);
	}
	/* Our own pid: another handle of this very program holds the port
	 * (a re-run notebook cell, a script that opens it twice). Naming
	 * ourselves as "another program" would send the user hunting. */
	if (pid == getpid())
		return sc_err_set(CLIENT_ERR_BUSY,
				  "%s: port busy (already open in this process, by another handle;"
				  " close that one first)",
				  port);
	if (pid > 0) {
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		f = fopen(path, "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		/* Any process can name itself anything, escape sequences included. */
		sc_escape_bytes(esc, sizeof(esc), comm, strlen(comm));
		return sc_err_set(CLIENT_ERR_BUSY, "%s: port busy (%s): held by process %d (%s)", port, cause,
				  (int)pid, comm[0] ? esc : "?");
	}
	return sc_err_set(CLIENT_ERR_BUSY,
			  "%s: port busy (%s); the holding process is not visible to this user", port, cause);
}

int sc_port_error(int errnum, const char *port, const char *what)
{
	/* Only a local port has a holder to look for in /proc. */
	if (errnum == EBUSY)
		return port_busy_error(port, strerror(errnum));
	return sc_err_from_errno(errnum, port, what);
}

int sc_port_flock(int fd, const char *port)
{
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return port_busy_error(port, "locked by another program");
		return sc_err_from_errno(errno, port, "flock");
	}
	return CLIENT_OK;
}

int sc_port_exclusive(int fd, const char *port)
{
	/* Keeps out programs that take no flock (as non-root: root bypasses it). */
	if (ioctl(fd, TIOCEXCL) != 0)
		return sc_err_from_errno(errno, port, "TIOCEXCL");
	return CLIENT_OK;
}

void sc_port_release(int fd, pid_t owner)
{
	/* A child that inherited the handle must not end its parent's
	 * exclusive use of the port. */
	if (getpid() != owner)
		return;
	ioctl(fd, TIOCNXCL);
}
