/*
 * Test helper: read an ODJ file (text form), decode it, encode it again with
 * odj_encode, and write the result, in the text form, to OUT. This is
 * compose(decode(blob)) for tests/odj/check_odj.py, which hands OUT to
 * Samba's ndrdump --validate.
 *
 * `odj_reencode --password-hex IN.odj` prints the machine password's UTF-16LE
 * bytes in hex instead, so that the leak test knows what must never appear in
 * any output of `ferry odj`. Test-only: ferry itself has no such mode.
 */
#include <stdio.h>
#include <string.h>

#include "odj/odj.h"
#include "util/mem.h"

static struct ferry_secret *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct ferry_secret *s = NULL, *out = NULL;
	size_t n;

	if (!f || ferry_secret_new(&s, 1u << 24))
		goto out;
	n = fread(s->data, 1, s->len, f);
	if (!ferror(f))
		(void)ferry_secret_from(&out, s->data, n);
out:
	ferry_secret_free(s);
	if (f)
		fclose(f);
	return out;
}

int main(int argc, char **argv)
{
	struct ferry_secret *text = NULL, *bin = NULL, *again = NULL, *out = NULL;
	struct odj_provision *p = NULL;
	FILE *f = NULL;
	int rc = 1;

	if (argc == 3 && !strcmp(argv[1], "--password-hex")) {
		const struct odj_win7 *w;

		text = slurp(argv[2]);
		if (!text || odj_text_decode(&bin, text->data, text->len) ||
		    odj_decode(&p, bin->data, bin->len) || !(w = odj_provision_win7(p)) ||
		    !w->machine_password) {
			fprintf(stderr, "odj_reencode: %s: no password\n", argv[2]);
			goto done;
		}
		for (size_t i = 0; i < w->machine_password->len; i++)
			printf("%02x", w->machine_password->data[i]);
		printf("\n");
		rc = 0;
		goto done;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: odj_reencode IN.odj OUT.odj\n");
		return 64;
	}
	text = slurp(argv[1]);
	if (!text || odj_text_decode(&bin, text->data, text->len) ||
	    odj_decode(&p, bin->data, bin->len) || odj_encode(&again, p) ||
	    odj_text_encode(&out, again->data, again->len)) {
		fprintf(stderr, "odj_reencode: %s: %s\n", argv[1], ferry_error_detail());
		goto done;
	}
	f = fopen(argv[2], "wb");
	if (f && fwrite(out->data, 1, out->len, f) == out->len && fclose(f) == 0)
		rc = 0;
	else
		fprintf(stderr, "odj_reencode: cannot write %s\n", argv[2]);
done:
	odj_provision_free(p);
	ferry_secret_free(text);
	ferry_secret_free(bin);
	ferry_secret_free(again);
	ferry_secret_free(out);
	return rc;
}
