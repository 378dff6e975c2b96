/* SPDX-License-Identifier: MIT */
/* sim-helper.c - start and stop devices/sim/serialcmd-sim from C tests. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serialcmd.h"
#include "sim-helper.h"

#define SIM_PROGRAM "devices/sim/serialcmd-sim"
#define START_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 2000

int sim_start(struct sim_proc *sim, const char *const *args)
{
	const char *argv[32];
	int pipefd[2], n = 0;
	size_t got = 0;

	memset(sim, 0, sizeof(*sim));
	argv[n++] = SIM_PROGRAM;
	for (int i = 0; args[i] && n < 30; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -1;
	sim->pid = fork();
	if (sim->pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (sim->pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execv(SIM_PROGRAM, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	/* Read the first line, bounded in time. */
	while (got < sizeof(sim->path) - 1) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, START_TIMEOUT_MS) <= 0)
			break;
		r = read(pipefd[0], sim->path + got, 1);
		if (r <= 0)
			break;
		if (sim->path[got] == '\n') {
			sim->path[got] = '\0';
			close(pipefd[0]);
			return 0;
		}
		got++;
	}
	close(pipefd[0]);
	sim_stop(sim);
	return -1;
}

void sim_stop(struct sim_proc *sim)
{
	int status;

	if (sim->pid <= 0)
		return;
	kill(sim->pid, SIGTERM);
	for (int waited = 0; waited < STOP_TIMEOUT_MS; waited += 10) {
		if (waitpid(sim->pid, &status, WNOHANG) == sim->pid) {
			sim->pid = 0;
			return;
		}
		usleep(10000);
	}
	kill(sim->pid, SIGKILL);
	waitpid(sim->pid, &status, 0);
	sim->pid = 0;
}

int sim_setup_faulty(void **state)
{
	static const char *const args[] = { "faulty", NULL };
	struct sim_fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	if (sim_start(&fx->sim, args) != 0)
		return -1;
	snprintf(fx->spec, sizeof(fx->spec), "%s?timeout_ms=3000", fx->sim.path);
	return 0;
}

int sim_setup_faulty_open(void **state)
{
	struct sim_fixture *fx;

	if (sim_setup_faulty(state) != 0)
		return -1;
	fx = *state;
	fx->c = client_init_py(fx->spec);
	return fx->c ? 0 : -1;
}

int sim_teardown(void **state)
{
	struct sim_fixture *fx = *state;

	if (fx) {
		client_destroy(fx->c);
		sim_stop(&fx->sim);
		free(fx);
	}
	return 0;
}
