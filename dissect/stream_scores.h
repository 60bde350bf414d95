/* Inside the stream decoder (stream.c, boundary.c): how plausible a
 * candidate frame must be to be taken for one. */
#ifndef MQD_STREAM_SCORES_H
#define MQD_STREAM_SCORES_H

/* Scores (0..100 from mqd_frame_plausibility) a candidate must reach: when
 * the whole candidate frame is in the window, and when it is larger than the
 * look-ahead and only its beginning can be judged (on the header alone). */
#define RESYNC_SCORE_WHOLE 50
#define RESYNC_SCORE_PARTIAL 30
/* A legal type byte, the length still cut. */
#define RESYNC_SCORE_HEADER 10
/* A whole candidate scoring this much (a clean 2-byte frame such as
 * PINGREQ, common in data by chance) is judged again with the next byte. */
#define RESYNC_SCORE_NEEDS_NEXT 35

#endif
