/* SPDX-License-Identifier: MIT */
/* sanitize.h - make text safe to print as a udev property value.
 *
 * udev imports every KEY=value line an IMPORT{program} helper prints, so a
 * value must never carry a line break, an '=' or anything a rule might
 * expand ('$', '%'), or a '/' that could climb out of a symlink name.
 * sanitize_value() keeps [A-Za-z0-9._-] and turns every other byte into '_'.
 * It is a pure function of its input, with no allocation, to be fuzzed. */
#ifndef SERIALCMD_UDEV_SANITIZE_H
#define SERIALCMD_UDEV_SANITIZE_H

#include <stddef.h>

/* Longest value the helper prints, without its NUL. */
#define SANITIZE_VALUE_MAX 128

/* Is c one of the bytes kept: [A-Za-z0-9._-]? */
int sanitize_keep(unsigned char c);

/* Write at most size-1 bytes of src[0..len) into dst, each kept byte as it
 * is and every other byte (NUL included) as '_', then a NUL. Leading and
 * trailing spaces, tabs, CR and LF of src are dropped first. Returns the
 * number of bytes written before the NUL (0 when size is 0 or nothing is
 * left). src may be NULL when len is 0; dst and src must not overlap. */
size_t sanitize_value(char *dst, size_t size, const char *src, size_t len);

/* Room for what sanitize_props() writes: three KEY=value lines. */
#define SANITIZE_PROPS_MAX (3 * (SANITIZE_VALUE_MAX + 32))

/* The properties the helper prints for a device that identified as model
 * with this reply (any bytes, NUL included): ID_SERIALCMD_MODEL=model,
 * ID_SERIALCMD_SERIAL= the third of four or more comma-separated fields
 * (IEEE 488.2 *IDN?: MAKER,MODEL,SERIAL,FIRMWARE) when there is one, and
 * ID_SERIALCMD_IDENT= the whole reply, each value sanitized and a line
 * left out when its value is empty. Writes into out (SANITIZE_PROPS_MAX
 * bytes) and returns the length, without a NUL; 0 (nothing) when the model
 * name sanitizes to nothing. */
size_t sanitize_props(char *out, const char *model, const char *reply, size_t len);

#endif
