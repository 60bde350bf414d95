/* A stdio stream whose every write(2) holds whole lines: several processes
 * writing one file or pipe (--fanout GROUP,N) interleave by line, never
 * inside one. Lines are collected until their newline arrives (a partial
 * line waits in memory, at most one line's worth); complete lines go out in
 * one write() each flush, except to a pipe or socket, where a write is
 * atomic only up to PIPE_BUF bytes: there they go in writes of whole lines
 * of at most PIPE_BUF bytes, a longer line alone. A regular file opened
 * with O_APPEND keeps each write whole. Linux/glibc (fopencookie). */
#ifndef MQD_CLI_LINE_WRITER_H
#define MQD_CLI_LINE_WRITER_H

#include <stdio.h>

/* A fully buffered stream writing to fd, which it closes with fclose (the
 * last partial line, if any, is written then). NULL when out of memory or
 * without fopencookie; fd is then left open. */
FILE *line_writer_open(int fd);

#endif
