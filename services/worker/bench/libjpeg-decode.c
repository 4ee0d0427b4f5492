/*
 * Reference for `npm run bench:worker`: libjpeg-turbo's own decode of a JPEG from memory to 8-bit RGB,
 * the way cv2.imread decodes for Ultralytics (default DCT and upsampling). Prints the median of N decodes
 * in milliseconds. Built by the bench when a C compiler and libjpeg headers are there
 * (Debian: apt-get install gcc libjpeg62-turbo-dev); skipped otherwise.
 *
 *   cc -O2 -o libjpeg-decode libjpeg-decode.c -ljpeg && ./libjpeg-decode photo.jpg 25
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jpeglib.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FILE.jpg ITERATIONS\n", argv[0]);
    return 2;
  }
  FILE *file = fopen(argv[1], "rb");
  if (!file) {
    perror(argv[1]);
    return 2;
  }
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  unsigned char *bytes = malloc(size);
  if (fread(bytes, 1, size, file) != (size_t)size) return 2;
  fclose(file);
  int iterations = atoi(argv[2]);
  double *times = malloc(sizeof(double) * iterations);
  unsigned char *pixels = NULL;
  for (int i = -2; i < iterations; i++) { /* two warm-up decodes */
    double start = now_ms();
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr err;
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes, size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * cinfo.output_components;
    if (!pixels) pixels = malloc(stride * cinfo.output_height);
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row = pixels + stride * cinfo.output_scanline;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (i >= 0) times[i] = now_ms() - start;
  }
  qsort(times, iterations, sizeof(double), by_value);
  printf("%.3f\n", times[iterations / 2]);
  return 0;
}
