/* SPDX-License-Identifier: MIT */
/* bridges.c - known generic USB-serial bridge ids (see bridges.h).
 *
 * What counts as generic: the chip maker's own id, which the chip reports
 * unless the product's maker programs another one into it. Thousands of
 * unrelated products (cables, GPS receivers, 3D printers, PLCs, medical
 * devices) share each of these, so a profile listing one cannot know what
 * is behind it, and asking "ID?" at its baud rate could reach anything.
 *
 * CDC-ACM devices (ttyACM*) need no bridge driver; their ids are usually the
 * product maker's own (Arduino 2341:xxxx, Rigol 1ab1:xxxx) and then they
 * name the product: those are specific and not listed here. The exceptions
 * are the ids that chip vendors' example firmware and bridge chips ship
 * with, which many makers never change; those few are listed below like any
 * other bridge. An id missing from this list is taken as specific: the
 * profile's author vouches for it.
 *
 * Sources: the id tables of the Linux drivers ftdi_sio, ch341, cp210x,
 * pl2303 and cdc-acm, and the chip makers' data sheets. */
#include <stddef.h>

#include "bridges.h"

static const struct usb_bridge bridges[] = {
	/* Future Technology Devices International (FTDI), vendor 0403, ftdi_sio */
	{ 0x0403, 0x6001, "FTDI FT232R/FT245R" },
	{ 0x0403, 0x6010, "FTDI FT2232" },
	{ 0x0403, 0x6011, "FTDI FT4232H" },
	{ 0x0403, 0x6014, "FTDI FT232H" },
	{ 0x0403, 0x6015, "FTDI FT-X (FT230X/FT231X)" },
	/* WCH (Nanjing Qinheng), vendor 1a86: ch341 driver, CH343 by cdc-acm */
	{ 0x1a86, 0x7523, "WCH CH340" },
	{ 0x1a86, 0x5523, "WCH CH341" },
	{ 0x1a86, 0x55d4, "WCH CH9102" },
	{ 0x1a86, 0x55d3, "WCH CH343 (CDC-ACM)" },
	/* Silicon Labs, vendor 10c4, cp210x */
	{ 0x10c4, 0xea60, "Silicon Labs CP2102/CP2104" },
	{ 0x10c4, 0xea70, "Silicon Labs CP2105" },
	{ 0x10c4, 0xea71, "Silicon Labs CP2108" },
	/* Prolific, vendor 067b, pl2303 */
	{ 0x067b, 0x2303, "Prolific PL2303" },
	{ 0x067b, 0x23a3, "Prolific PL2303GC" },
	/* CDC-ACM with the chip vendor's example id: STM32 USB device library */
	{ 0x0483, 0x5740, "STMicroelectronics Virtual COM Port (CDC-ACM)" },
};

const struct usb_bridge *sc_bridge_find(unsigned vid, unsigned pid)
{
	for (size_t i = 0; i < sizeof(bridges) / sizeof(bridges[0]); i++)
		if (bridges[i].vid == vid && bridges[i].pid == pid)
			return &bridges[i];
	return NULL;
}

const struct usb_bridge *sc_bridge_list(unsigned *count)
{
	*count = (unsigned)(sizeof(bridges) / sizeof(bridges[0]));
	return bridges;
}
