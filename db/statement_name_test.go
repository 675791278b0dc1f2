package db

import "testing"

func TestStatementName(t *testing.T) {
	for _, tt := range []struct{ sql, want string }{
		{`SELECT * FROM "cards" WHERE pan_hash = 'abc' LIMIT 1`, "SELECT cards"},
		{`UPDATE "members" SET "personal_message"='from mother' WHERE id = 3`, "UPDATE members"},
		{`INSERT INTO challenges (acs_trans_id) VALUES ('x'),('y')`, "INSERT challenges"},
		{`  update challenges SET state = 'expired' WHERE deadline <= '2026-11-26'`, "UPDATE challenges"},
		{`DELETE FROM "sessions" WHERE expiry < '2026-11-26'`, "DELETE sessions"},
		{`WITH due AS (SELECT id FROM mail_outbox WHERE next_at <= '2026') UPDATE mail_outbox SET claimed = true`, "WITH mail_outbox"},
		// A literal before the first table name: nothing of it may come out.
		{`SELECT 'secret from hunter2' AS x FROM (VALUES (1)) v`, "SELECT"},
		{`SELECT 1`, "SELECT"},
		{`BEGIN`, "BEGIN"},
		{`SET LOCAL synchronous_commit = off`, "SET"},
		{`EXPLAIN SELECT 1`, "other"},
		{``, "other"},
	} {
		if got := statementName(tt.sql); got != tt.want {
			t.Errorf("statementName(%q) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}
