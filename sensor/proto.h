/* proto.h - what the application-layer parsers share: the result codes.
 *
 * Why it exists: the flow layer feeds each parser the first bytes of one
 * direction of a flow and must know whether to wait for more bytes, give
 * up on this protocol, or count a malformed message.
 */
#ifndef PICKET_PROTO_H
#define PICKET_PROTO_H

typedef enum pk_parse_result {
    PK_PARSE_OK = 0,       /* parsed; output filled */
    PK_PARSE_NEED_MORE,    /* a valid prefix: call again with more bytes */
    PK_PARSE_NOT_MINE,     /* these bytes are not this protocol */
    PK_PARSE_MALFORMED,    /* this protocol, but broken (counted by reason) */
} pk_parse_result;

#endif
