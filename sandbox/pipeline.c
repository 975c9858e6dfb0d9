/*
 * pipeline.c: a batch's sign requests, two at a time.
 *
 * A batch client keeps several requests queued on its connection
 * (client/batch.c).  Served one by one, the child hashes a module, then
 * waits while the token signs it and the audit record is made durable,
 * and only then reads the next request: 1.7 ms of waiting for 0.3 ms of
 * work per module, and a CPU idle meanwhile.  Here the child reads the
 * next request while the one before is at the token, checks and hashes
 * it, and sends it too (MSG_SIGN_F_PIPELINED; the monitor takes at most
 * MON_SIGN_DEPTH per child and never holds such a request).  The client
 * gets its replies in the order of its requests: a request finished
 * early keeps its reply (s->defer) until the ones before it are sent.
 * Every signature is still checked against the certificate before use,
 * and released by the monitor only once its record is durable.
 *
 * Only what needs nothing more of the monitor goes this way: a request
 * in any format (each is signed in two steps: sandbox/formats/twostep.c)
 * with a key the session already knows and that has no approval rule,
 * without timestamp, inline transfer or --no-wait.  A request read ahead
 * that is anything else is kept (s->stash) for the session loop, which
 * serves it once those in flight are done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "proto/io.h"
#include "proto/names.h"
#include "sandbox/channel.h"
#include "sandbox/sessionpriv.h"

#define PIPE_DEPTH 2 /* the monitor's MON_SIGN_DEPTH */
/* Requests with these flags are signed alone. */
#define PIPE_ALONE_FLAGS (SIGN_F_INLINE | SIGN_F_NOWAIT | SIGN_F_TIMESTAMP)

enum slot_state {
	SLOT_FREE,
	SLOT_SENT,     /* at the monitor */
	SLOT_ANSWERED, /* the monitor's reply is in r */
	SLOT_DONE,     /* the client's reply is in reply */
	SLOT_ALONE,    /* to be signed alone when it is first */
};

struct slot {
	enum slot_state state;
	struct sign_req q;
	struct sign_output out;
	struct format_job job;
	struct msg_sign m;
	struct msg_sign_reply r;
	struct buf reply;	/* the client frame, sent in its turn */
	int fds[FRAME_MAX_FDS]; /* a request read ahead: its descriptors */
	size_t nfds;
};

struct pipe {
	struct slot slot[PIPE_DEPTH];
	unsigned head, n;	       /* the oldest slot, slots in use */
	int no_more;		       /* read no more requests ahead */
	int lost;		       /* the client is gone */
	char forget[KEY_NAME_MAX + 1]; /* a key to ask the monitor again */
	struct frame *f;
	unsigned started, most; /* requests sent, most at once (for logs) */
};

int
pipeline_eligible(const struct session *s, const struct sign_req *q)
{
	return s->capture == NULL && !(q->in.flags & PIPE_ALONE_FLAGS) &&
	    !q->in.timestamp && !q->c->info.approval && q->in.pub != NULL &&
	    format_supported(q->in.format);
}

/* Keep sl's client reply for its turn. */
static void
slot_reply(struct session *s, struct slot *sl)
{
	s->defer = &sl->reply;
	(void)sign_result(s, &sl->q.in, &sl->out);
	s->defer = NULL;
	sl->state = SLOT_DONE;
}

/* One more request sent: count it, and how many are at the monitor. */
static void
pipe_count(struct pipe *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < PIPE_DEPTH; i++)
		n += p->slot[i].state == SLOT_SENT;
	p->started++;
	if (n > p->most)
		p->most = n;
}

/* Check and hash sl's artifact and send its request; or keep the refusal. */
static void
slot_start(struct session *s, struct pipe *p, struct slot *sl)
{
	sl->out = (struct sign_output){ .status = ST_OK };
	buf_init(&sl->out.data, FRAME_MAX);
	if (format_job_begin(&sl->q.in, &sl->out, &sl->job) == 0 &&
	    signop_request(&sl->q.in, &sl->out, sl->job.tbs, sl->job.tbslen,
		&sl->m) == 0) {
		sl->m.flags |= MSG_SIGN_F_PIPELINED;
		if (sandbox_sign_submit(&sl->m) == 0) {
			sl->state = SLOT_SENT;
			pipe_count(p);
			return;
		}
		sign_fail(&sl->out, ST_INTERNAL, "cannot ask for a signature");
	}
	slot_reply(s, sl);
}

/* The monitor has answered sl: check the signature, write the output. */
static void
slot_finish(struct session *s, struct pipe *p, struct slot *sl)
{
	uint8_t sig[SIG_MAX];
	size_t siglen = sizeof(sig);

	if (signop_check(&sl->q.in, &sl->out, &sl->m, &sl->r, sig, &siglen) ==
	    0)
		(void)format_job_end(&sl->q.in, &sl->out, &sl->job, sig,
		    siglen);
	else if (sl->r.status != ST_OK) {
		/*
		 * Refused: the key may have changed (a reload).  The next
		 * request with it asks the monitor again, and none is read
		 * ahead meanwhile.
		 */
		snprintf(p->forget, sizeof(p->forget), "%s", sl->q.key);
		p->no_more = 1;
	}
	OPENSSL_cleanse(&sl->r, sizeof(sl->r));
	OPENSSL_cleanse(sig, sizeof(sig));
	slot_reply(s, sl);
}

/* Free what sl held; it is free again. */
static void
slot_clear(struct slot *sl)
{
	format_job_free(&sl->job);
	buf_free(&sl->out.data);
	buf_reset(&sl->reply);
	for (size_t i = 0; i < sl->nfds; i++)
		close(sl->fds[i]);
	sl->nfds = 0;
	sl->state = SLOT_FREE;
}

/* The first slot is over: its reply sent (if not sent already). */
static void
pipe_pop(struct session *s, struct pipe *p, struct slot *sl)
{
	if (sl->state == SLOT_DONE && !p->lost &&
	    io_send_frame(s->client, &sl->reply, NULL, 0) == -1)
		p->lost = p->no_more = 1;
	slot_clear(sl);
	p->head = (p->head + 1) % PIPE_DEPTH;
	p->n--;
}

/*
 * Whether a frame read ahead can start beside the one in flight, judged
 * from the frame alone: nothing is asked of the monitor and nothing is
 * replied to decide it.
 */
static int
pipe_wants(struct session *s, const struct frame *f, size_t nfds)
{
	char key[KEY_NAME_MAX + 1], fmt[32];
	const struct cached_key *c;
	uint32_t flags = 0;

	if (f->type != F_SIGN || !frame_fds_allowed(f->type, nfds))
		return 0;
#ifdef CSIGN_TEST_HOOKS
	if (frame_find(f, T_TEST_SYSCALL) != NULL)
		return 0;
#endif
	(void)frame_get_u32(f, T_FLAGS, &flags);
	if ((flags & PIPE_ALONE_FLAGS) ||
	    frame_get_str(f, T_FORMAT, fmt, sizeof(fmt)) == -1 ||
	    !format_supported(format_from_name(fmt)) ||
	    frame_get_str(f, T_KEY, key, sizeof(key)) == -1)
		return 0;
	c = session_key_peek(s, key);
	return c != NULL && !c->info.approval;
}

/* Set up a request read ahead into sl (its descriptors become sl's). */
static void
pipe_take(struct session *s, struct pipe *p, struct slot *sl)
{
	struct session_stash *st = &s->stash;
	int k;

	s->defer = &sl->reply;
	k = sign_setup(s, p->f, st->fds, st->nfds, &sl->q);
	if (k == 1 && sign_settle(s, &sl->q) == -1)
		k = 0;
	s->defer = NULL;
	memcpy(sl->fds, st->fds, st->nfds * sizeof(st->fds[0]));
	sl->nfds = st->nfds;
	st->nfds = 0;
	p->n++;
	if (k != 1)
		sl->state = SLOT_DONE; /* refused: its reply is kept */
	else if (pipeline_eligible(s, &sl->q))
		slot_start(s, p, sl);
	else
		sl->state = SLOT_ALONE;
}

/* The client sent something: a request to start, or one for the loop. */
static void
pipe_read(struct session *s, struct pipe *p)
{
	struct session_stash *st = &s->stash;
	const char *err;
	int r;

	st->nfds = 0;
	buf_reset(&st->in);
	r = io_recv_frame(s->client, &st->in, st->fds, FRAME_MAX_FDS, &st->nfds,
	    (int)s->info->idle_timeout_ms);
	st->err = errno;
	if (r == 1 &&
	    frame_decode(buf_ptr(&st->in) + 4, buf_left(&st->in) - 4, p->f,
		&err) == 0 &&
	    pipe_wants(s, p->f, st->nfds)) {
		pipe_take(s, p, &p->slot[(p->head + p->n) % PIPE_DEPTH]);
		return;
	}
	/* Anything else is the session loop's, once these are done. */
	st->valid = 1;
	st->r = r;
	p->no_more = 1;
}

/* A reply from the monitor: it goes to the request it names. */
static void
pipe_collect(struct pipe *p)
{
	static struct msg_sign_reply r;

	sandbox_sign_collect(&r);
	for (unsigned i = 0; i < PIPE_DEPTH; i++) {
		struct slot *sl = &p->slot[i];

		if (sl->state == SLOT_SENT && sl->m.reqid == r.reqid) {
			sl->r = r;
			sl->state = SLOT_ANSWERED;
			OPENSSL_cleanse(&r, sizeof(r));
			return;
		}
	}
	fatalx("the monitor answered sign request %u, which is not in "
	       "flight",
	    (unsigned)r.reqid);
}

/* Wait for the monitor, and for the client if another may start. */
static void
pipe_wait(struct session *s, struct pipe *p)
{
	int ahead = !p->no_more && p->n < PIPE_DEPTH && !s->stash.valid;
	int ev;

	for (unsigned i = 0; i < PIPE_DEPTH; i++)
		if (p->slot[i].state == SLOT_ALONE)
			ahead = 0;
	/*
	 * The next request first: the token is kept busy with it while
	 * the answered one is finished.
	 */
	ev = sandbox_wait(ahead ? s->client : -1);
	if (ev & WAIT_OTHER)
		pipe_read(s, p);
	else if (ev & WAIT_CHANNEL)
		pipe_collect(p);
}

/* Serve the requests in p until none is left. */
static void
pipe_drive(struct session *s, struct pipe *p)
{
	while (p->n > 0) {
		struct slot *h = &p->slot[p->head];

		if (h->state == SLOT_ANSWERED)
			slot_finish(s, p, h);
		if (h->state == SLOT_DONE) {
			pipe_pop(s, p, h);
		} else if (h->state == SLOT_ALONE && p->n == 1) {
			/* First and alone: the request-at-a-time path. */
			if (!p->lost && sign_execute(s, &h->q) == -1)
				p->lost = p->no_more = 1;
			pipe_pop(s, p, h);
		} else
			pipe_wait(s, p);
	}
}

int
pipeline_run(struct session *s, struct sign_req *q)
{
	struct pipe *p;
	int r;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->f = malloc(sizeof(*p->f))) == NULL) {
		free(p);
		return sign_execute(s, q);
	}
	if (s->stash.in.max == 0)
		buf_init(&s->stash.in, FRAME_MAX + 4);
	for (unsigned i = 0; i < PIPE_DEPTH; i++)
		buf_init(&p->slot[i].reply, FRAME_MAX + 4);
	/* The first request's descriptors stay the session loop's. */
	p->slot[0].q = *q;
	p->slot[0].q.in.key = p->slot[0].q.key;
	p->slot[0].q.in.name = p->slot[0].q.name;
	p->n = 1;
	slot_start(s, p, &p->slot[0]);
	pipe_drive(s, p);
	log_debug("pipeline: %u requests sent, up to %u at the monitor at once",
	    p->started, p->most);
	if (p->forget[0] != '\0')
		session_key_forget(s, p->forget);
	r = p->lost ? -1 : 0;
	for (unsigned i = 0; i < PIPE_DEPTH; i++)
		buf_free(&p->slot[i].reply);
	free(p->f);
	free(p);
	return r;
}
