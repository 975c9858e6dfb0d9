/*
 * test_monitor.c: the monitor below the loop (monitor/monitor.c), driven
 * through a fake loop interface: handlers only mark a session dead, and
 * the loop's kill runs when monitor_act() does, once per session, with
 * the first reason; nothing is sent to a marked session; a session the
 * loop ended itself is forgotten; reloads are counted for status.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "proto/io.h"
#include "proto/msg.h"

/* What the fake loop was asked to do. */
static int kills, freed;
static char last_why[128];

static void
fake_kill(struct mon_session *s, const char *why)
{
	kills++;
	snprintf(last_why, sizeof(last_why), "%s", why);
	s->state = CH_GONE;
}

static void
fake_deadline(struct mon_session *s, unsigned seconds)
{
	(void)s;
	(void)seconds;
}

static void
fake_set_state(struct mon_session *s, enum child_state st)
{
	s->state = st;
}

static void
fake_session(struct mon_session *s)
{
	(void)s;
}

static void
fake_freed(void *loop)
{
	(void)loop;
	freed++;
}

static size_t
fake_sessions(void *loop)
{
	(void)loop;
	return 0;
}

static const struct mon_loop_ops fake_ops = {
	.kill = fake_kill,
	.deadline = fake_deadline,
	.set_state = fake_set_state,
	.client_gone = fake_session,
	.closed = fake_session,
	.freed = fake_freed,
	.sessions = fake_sessions,
};

struct fx {
	struct monitor m;
	struct mon_session s;
	int peer;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	if (f == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		0, sv) == -1)
		return -1;
	monitor_init(&f->m, &fake_ops, NULL);
	monitor_session_init(&f->s, &f->m, sv[0], 1);
	f->s.state = CH_SESSION;
	f->peer = sv[1];
	kills = freed = 0;
	last_why[0] = '\0';
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	close(f->s.fd);
	close(f->peer);
	monitor_free(&f->m);
	free(f);
	return 0;
}

static void
test_a_marked_session_is_killed_only_when_the_monitor_acts(void **state)
{
	struct fx *f = *state;

	mon_session_fail(&f->s, "protocol violation");
	assert_int_equal(kills, 0);
	assert_int_equal(f->s.state, CH_SESSION);
	monitor_act(&f->m);
	assert_int_equal(kills, 1);
	assert_string_equal(last_why, "protocol violation");
	assert_int_equal(f->s.state, CH_GONE);
	/* Acting again does nothing more. */
	monitor_act(&f->m);
	assert_int_equal(kills, 1);
}

static void
test_the_first_reason_counts_and_one_kill_is_made(void **state)
{
	struct fx *f = *state;

	mon_session_fail(&f->s, "first");
	mon_session_fail(&f->s, "second");
	monitor_act(&f->m);
	assert_int_equal(kills, 1);
	assert_string_equal(last_why, "first");
}

static void
test_nothing_is_sent_to_a_marked_session(void **state)
{
	struct fx *f = *state;
	struct buf b;
	uint8_t x[16];

	mon_session_fail(&f->s, "dead");
	buf_init(&b, MSG_MAX);
	assert_int_equal(msg_enc_empty(&b, MSG_SIGN_HELD), 0);
	assert_int_equal(mon_send(&f->s, &b, -1), -1);
	buf_free(&b);
	assert_int_equal(recv(f->peer, x, sizeof(x), MSG_DONTWAIT), -1);
	monitor_act(&f->m);
}

static void
test_a_session_the_loop_ended_is_forgotten(void **state)
{
	struct fx *f = *state;

	mon_session_fail(&f->s, "dead");
	f->s.state = CH_GONE;
	monitor_child_gone(&f->s);
	monitor_act(&f->m);
	assert_int_equal(kills, 0);
	assert_true(TAILQ_EMPTY(&f->m.dead));
}

static void
test_a_ready_child_frees_the_loop_after_the_handler(void **state)
{
	struct fx *f = *state;

	f->s.state = CH_STARTING;
	mon_set_state(&f->s, CH_IDLE);
	assert_int_equal(f->s.state, CH_IDLE);
	assert_int_equal(freed, 0);
	monitor_act(&f->m);
	assert_int_equal(freed, 1);
}

static void
test_reloads_are_counted_for_status(void **state)
{
	struct fx *f = *state;
	char text[256];

	monitor_reload_text(&f->m, text, sizeof(text));
	assert_string_equal(text, "none since the start");
	monitor_reload_refused(&f->m, "bad keyword");
	monitor_reload_text(&f->m, text, sizeof(text));
	assert_non_null(strstr(text, "1 of 1 reloads failed"));
	assert_non_null(strstr(text, "bad keyword"));
	monitor_reload(&f->m, NULL);
	monitor_reload_text(&f->m, text, sizeof(text));
	assert_non_null(strstr(text, "ok at"));
	assert_non_null(strstr(text, "1 of 2 reloads failed"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_a_marked_session_is_killed_only_when_the_monitor_acts,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_the_first_reason_counts_and_one_kill_is_made, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_nothing_is_sent_to_a_marked_session, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_session_the_loop_ended_is_forgotten, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_ready_child_frees_the_loop_after_the_handler, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_reloads_are_counted_for_status, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
