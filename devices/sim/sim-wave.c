/* SPDX-License-Identifier: MIT */
/* sim-wave.c - waveforms served as IEEE 488.2 definite-length blocks, read
 * back as comma-separated values, and replaced by block uploads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"

/* One value of any of the struct-module types a waveform may hold. */
union sample {
	signed char b;
	unsigned char B;
	short h;
	unsigned short H;
	int i;
	unsigned I;
	float f;
	double d;
};

static size_t type_size(char t)
{
	switch (t) {
	case 'b':
	case 'B': return 1;
	case 'h':
	case 'H': return 2;
	case 'i':
	case 'I':
	case 'f': return 4;
	default: return 8;
	}
}

static void put_bytes(unsigned char *dst, const void *src, size_t n, int big)
{
	const unsigned char *s = src;
	int host_big = 0;
	unsigned one = 1;

	host_big = *(const unsigned char *)&one == 0;
	for (size_t i = 0; i < n; i++)
		dst[i] = s[big == host_big ? i : n - 1 - i];
}

/* Point i of a waveform: integer types count up (so every byte value,
 * the terminator's too, appears in the data); floats trace a sine. */
static void make_point(const struct sim_waveform *w, unsigned i, unsigned char *out)
{
	double phase = 2 * M_PI * (double)i / (double)w->points;
	union sample v;

	switch (w->datatype) {
	case 'b': v.b = (signed char)(i * 7); break;
	case 'B': v.B = (unsigned char)(i * 7); break;
	case 'h': v.h = (short)(i * 263); break;
	case 'H': v.H = (unsigned short)(i * 263); break;
	case 'i': v.i = (int)(i * 16777259u); break;
	case 'I': v.I = i * 16777259u; break;
	case 'f': v.f = (float)(w->amplitude * sin(phase)); break;
	default: v.d = w->amplitude * sin(phase); break;
	}
	put_bytes(out, &v, type_size(w->datatype), w->big_endian);
}

int sim_wave_init(struct sim *s)
{
	size_t n = s->prof.nwaves;

	if (!n)
		return 0;
	s->wave_bytes = calloc(n, sizeof(*s->wave_bytes));
	s->wave_len = calloc(n, sizeof(*s->wave_len));
	if (!s->wave_bytes || !s->wave_len)
		return -1;
	for (size_t k = 0; k < n; k++) {
		const struct sim_waveform *w = &s->prof.waves[k];
		size_t size = type_size(w->datatype);

		s->wave_bytes[k] = malloc((size_t)w->points * size);
		if (!s->wave_bytes[k])
			return -1;
		for (unsigned i = 0; i < w->points; i++)
			make_point(w, i, s->wave_bytes[k] + (size_t)i * size);
		s->wave_len[k] = (size_t)w->points * size;
	}
	return 0;
}

void sim_wave_free(struct sim *s)
{
	for (size_t k = 0; s->wave_bytes && k < s->prof.nwaves; k++)
		free(s->wave_bytes[k]);
	free(s->wave_bytes);
	free(s->wave_len);
	s->wave_bytes = NULL;
	s->wave_len = NULL;
}

static double get_value(const struct sim_waveform *w, const unsigned char *p)
{
	unsigned char host[8];
	union sample v;
	size_t n = type_size(w->datatype);

	put_bytes(host, p, n, w->big_endian); /* the swap is its own inverse */
	memcpy(&v, host, n);
	switch (w->datatype) {
	case 'b': return v.b;
	case 'B': return v.B;
	case 'h': return v.h;
	case 'H': return v.H;
	case 'i': return v.i;
	case 'I': return v.I;
	case 'f': return v.f;
	default: return v.d;
	}
}

static void send_block(struct sim *s, const struct sim_waveform *w, const unsigned char *data, size_t len)
{
	char header[32];
	int n;

	if (w->prefix) {
		sim_put(s, w->prefix, strlen(w->prefix));
		sim_put(s, " ", 1);
	}
	n = snprintf(header, sizeof(header), "%zu", len);
	n = snprintf(header, sizeof(header), "#%d%zu", n, len);
	sim_put(s, header, (size_t)n);
	sim_reply(s, (const char *)data, len);
}

static void send_ascii(struct sim *s, const struct sim_waveform *w, const unsigned char *data, size_t len)
{
	size_t size = type_size(w->datatype), count = len / size, o = 0;
	char *text = malloc(count * 32 + 1);

	if (!text)
		return;
	text[0] = '\0';
	for (size_t i = 0; i < count; i++)
		o += (size_t)snprintf(text + o, 32, "%s%.9g", i ? "," : "", get_value(w, data + i * size));
	sim_reply(s, text, o);
	free(text);
}

/* "#<n><len>" at p (avail bytes): header length and payload length; 0 if
 * incomplete, -1 if malformed. */
static int parse_header(const char *p, size_t avail, size_t *hlen, size_t *len)
{
	size_t nd;

	if (avail < 2)
		return 0;
	if (p[0] != '#' || p[1] < '1' || p[1] > '9')
		return -1;
	nd = (size_t)(p[1] - '0');
	if (avail < 2 + nd)
		return 0;
	*len = 0;
	for (size_t i = 0; i < nd; i++) {
		if (p[2 + i] < '0' || p[2 + i] > '9')
			return -1;
		*len = *len * 10 + (size_t)(p[2 + i] - '0');
	}
	*hlen = 2 + nd;
	return 1;
}

/* An upload command at buf: the offset of its '#', or 0 if none. */
static size_t upload_at(struct sim *s, const char *buf, size_t len, size_t *which)
{
	for (size_t k = 0; k < s->prof.nwaves; k++) {
		const char *set = s->prof.waves[k].set;
		size_t n = set ? strlen(set) : 0;
		size_t at = n;

		if (!n || len < n || strncasecmp(buf, set, n) != 0)
			continue;
		while (at < len && buf[at] == ' ')
			at++;
		if (at < len && buf[at] == '#') {
			*which = k;
			return at;
		}
	}
	return 0;
}

size_t sim_wave_frame(struct sim *s, const char *buf, size_t len)
{
	size_t which, at = upload_at(s, buf, len, &which), hlen, blen, end;
	char *eol;
	int r;

	if (at) {
		r = parse_header(buf + at, len - at, &hlen, &blen);
		if (r == 0)
			return 0;
		if (r > 0) {
			end = at + hlen + blen;
			if (end + s->in_eol_len > len)
				return 0;
			if (memcmp(buf + end, s->in_eol, s->in_eol_len) == 0)
				return end + s->in_eol_len;
		}
	}
	eol = memmem(buf, len, s->in_eol, s->in_eol_len);
	return eol ? (size_t)(eol - buf) + s->in_eol_len : 0;
}

int sim_wave_answer(struct sim *s, const char *line, size_t len)
{
	size_t which, at;

	for (size_t k = 0; k < s->prof.nwaves; k++) {
		const struct sim_waveform *w = &s->prof.waves[k];

		if (w->get && strcasecmp(line, w->get) == 0) {
			send_block(s, w, s->wave_bytes[k], s->wave_len[k]);
			return 1;
		}
		if (w->ascii_get && strcasecmp(line, w->ascii_get) == 0) {
			send_ascii(s, w, s->wave_bytes[k], s->wave_len[k]);
			return 1;
		}
	}
	at = upload_at(s, line, len, &which);
	if (at) {
		size_t hlen, blen;
		unsigned char *copy;

		if (parse_header(line + at, len - at, &hlen, &blen) <= 0 || at + hlen + blen != len ||
		    blen % type_size(s->prof.waves[which].datatype))
			return 0; /* malformed: an unknown command */
		copy = malloc(blen ? blen : 1);
		if (!copy)
			return 1;
		memcpy(copy, line + at + hlen, blen);
		free(s->wave_bytes[which]);
		s->wave_bytes[which] = copy;
		s->wave_len[which] = blen;
		return 1;
	}
	return 0;
}
