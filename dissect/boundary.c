/* Is there an MQTT frame boundary at the start of a buffer
 * (mqttdissect/stream.h: mqd_stream_boundary)? The stream decoder's
 * resynchronisation and the transport classification ask the same
 * question, with the same thresholds (stream_scores.h). */
#include "mqttdissect/stream.h"
#include "stream_scores.h"

mqd_boundary mqd_stream_boundary(const uint8_t *buf, size_t len, uint8_t version,
                                 bool final, uint32_t *size)
{
    mqd_fixed_header h;
    mqd_result r = mqd_fixed_header_read(buf, len, &h);
    if (r.status == MQD_ERROR)
        return MQD_BOUNDARY_NO;
    int score = mqd_frame_plausibility(buf, len, version);
    if (r.status == MQD_NEED_MORE)
        return final || score < RESYNC_SCORE_HEADER ? MQD_BOUNDARY_NO
                                                    : MQD_BOUNDARY_WAIT;
    *size = r.size;
    if (r.size > len)
        return final || score < RESYNC_SCORE_PARTIAL ? MQD_BOUNDARY_NO
                                                     : MQD_BOUNDARY_WAIT;
    if (score >= RESYNC_SCORE_WHOLE)
        return MQD_BOUNDARY_YES;
    if (r.size == len && score >= RESYNC_SCORE_NEEDS_NEXT)
        return final ? MQD_BOUNDARY_YES : MQD_BOUNDARY_WAIT;
    return MQD_BOUNDARY_NO;
}
