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

struct child;

/* A handler: 0, or -1 for a protocol violation (the child is killed). */
typedef int (*mon_handler)(struct child *c, const union chan_body *m);

/* The handlers of monitor.c (held.h and timestamp.h have the others). */
int monitor_answer_ready(struct child *c, const union chan_body *m);
int monitor_answer_keyinfo(struct child *c, const union chan_body *m);
int monitor_answer_sign(struct child *c, const union chan_body *m);
int monitor_answer_query(struct child *c, const union chan_body *m);
int monitor_answer_log(struct child *c, const union chan_body *m);
int monitor_answer_done(struct child *c, const union chan_body *m);
int monitor_answer_admin(struct child *c, const union chan_body *m);
int monitor_answer_upload(struct child *c, const union chan_body *m);
int monitor_answer_upload_done(struct child *c, const union chan_body *m);
int monitor_answer_progress(struct child *c, const union chan_body *m);

#endif
