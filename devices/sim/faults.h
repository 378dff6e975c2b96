/* SPDX-License-Identifier: MIT */
/* faults.h - the "magic" commands that make serialcmd-sim misbehave on
 * purpose; shared by the simulator and the tests so both sides agree. */
#ifndef SERIALCMD_FAULTS_H
#define SERIALCMD_FAULTS_H

/* In the "faulty" mode each command is a word and an argument:        */
#define FAULT_IDN "*IDN?"	/* answers SIM_IDN                          */
#define FAULT_LATE "LATE"	/* LATE <ms> <text>: answer text after ms   */
#define FAULT_SPLIT "SPLIT"	/* SPLIT <text>: one byte per write         */
#define FAULT_NOISE "NOISE"	/* NOISE <text>: answer, then NOISE_BYTES   */
#define FAULT_SILENT "SILENT"	/* never answer                             */
#define FAULT_TWICE "TWICE"	/* TWICE <text>: answer text two times      */
#define FAULT_HANGUP "HANGUP"	/* HANGUP <text>: send text, no terminator, hang up */
#define FAULT_BIN "BIN"		/* BIN <n>: n bytes 0..255 minus the eol's first byte */
#define FAULT_SIZE "SIZE"	/* SIZE <n>: n 'x' bytes                    */
#define FAULT_TRICKLE "TRICKLE" /* TRICKLE <ms>: one byte every ms, never the terminator */
#define FAULT_LINES "LINES"	/* LINES <n>: n replies "line1".."lineN"    */
/* UNASKED <ms> <text>: UNASKED_LINE, then text, then UNASKED_LINE again
 * after ms: lines a device sends unasked (an alarm), never tagged. */
#define FAULT_UNASKED "UNASKED"
#define UNASKED_LINE "!ALARM unasked"
/* TAG <id> <command>: run the command, each of its answers prefixed with
 * "<id>:" (TAG_SEP), so a test can tell which command an answer belongs
 * to, late or doubled ones included; unsolicited bytes (NOISE's) stay
 * untagged. id: up to TAG_MAX characters, no space. */
#define FAULT_TAG "TAG"
#define TAG_SEP ":"
#define TAG_MAX 31

#define SIM_IDN "serialcmd,simulator,0,1.0"
/* Sent unasked after a NOISE reply: the next command must not see it. */
#define NOISE_BYTES "JUNK1\nJUNK2\n\x01\x02"
/* Delay after a NOISE reply before the junk follows, and how long the
 * simulator sleeps between the bytes of a SPLIT reply. */
#define NOISE_DELAY_MS 50
#define SPLIT_GAP_US 200
/* Reply to commands the faulty mode does not know. */
#define SIM_UNKNOWN "ERR unknown command"

#endif
