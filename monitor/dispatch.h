/*
 * dispatch: the monitor's side of the child channel.  Each message a
 * child sends is looked up in the channel's table (proto/chan.h): a type
 * the child may not send, a descriptor where none may come, a state in
 * which the type is not accepted, a second ONCE message, a PERMIT message
 * the session's permit mask does not allow, or fields that do not decode
 * end the child before any handler runs.  Handlers get the decoded body
 * and check only what needs the monitor's records.
 */
#ifndef CSIGN_DISPATCH_H
#define CSIGN_DISPATCH_H

#include "proto/chan.h"

struct mon_session;

/* A handler: 0, or -1 for a protocol violation (the child is killed). */
typedef int (*mon_handler)(struct mon_session *c, const union chan_body *m);

/* The handlers of monitor.c (held.h and timestamp.h have the others). */
int monitor_answer_ready(struct mon_session *c, const union chan_body *m);
int monitor_answer_keyinfo(struct mon_session *c, const union chan_body *m);
int monitor_answer_sign(struct mon_session *c, const union chan_body *m);
int monitor_answer_query(struct mon_session *c, const union chan_body *m);
int monitor_answer_log(struct mon_session *c, const union chan_body *m);
int monitor_answer_done(struct mon_session *c, const union chan_body *m);
int monitor_answer_admin(struct mon_session *c, const union chan_body *m);
int monitor_answer_upload(struct mon_session *c, const union chan_body *m);
int monitor_answer_upload_done(struct mon_session *c, const union chan_body *m);
int monitor_answer_progress(struct mon_session *c, const union chan_body *m);
/* monitor/pesign.c: a pesign client's request (pesign listener only). */
int monitor_answer_pesign(struct mon_session *c, const union chan_body *m);

#endif
