/* SPDX-License-Identifier: MIT */
/* sim-helper.h - start and stop devices/sim/serialcmd-sim from C tests. */
#ifndef SERIALCMD_SIM_HELPER_H
#define SERIALCMD_SIM_HELPER_H

#include <sys/types.h>

struct sim_proc {
	pid_t pid;
	char path[256]; /* the pty the simulator serves */
};

/* Start the simulator with the given arguments (NULL-terminated, without
 * the program name) and wait for it to print its pty path. 0 on success. */
int sim_start(struct sim_proc *sim, const char *const *args);
/* Stop it by its PID (SIGTERM, then SIGKILL after a bounded wait). */
void sim_stop(struct sim_proc *sim);

/* The cmocka fixture most tests use: the faulty simulator, and a spec for
 * it with a 3 s timeout; sim_setup_faulty_open() also opens c on it.
 * sim_teardown() destroys c (if any) and stops the simulator. */
struct client;
struct sim_fixture {
	struct sim_proc sim;
	char spec[512];
	struct client *c;
};
int sim_setup_faulty(void **state);
int sim_setup_faulty_open(void **state);
int sim_teardown(void **state);

#endif
