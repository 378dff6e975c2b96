/* SPDX-License-Identifier: MIT */
/* profile-name.c - the one rule for a profile's name, for every program that
 * takes one: the library (profile=), the udev helper and the rule generator.
 * A name becomes a file name (NAME.profile) and a udev property value, so it
 * is never a path and never looks like an option. */
#include <string.h>

#include "profile.h"

int sc_profile_name_valid(const char *name)
{
	size_t n;

	if (!name)
		return 0;
	n = strlen(name);
	if (n == 0 || n >= PROFILE_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (const char *s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}
