package db_test

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"honnin/db"
	"honnin/tests/testkit"
)

// openFresh opens a new, empty database of the backend (not migrated).
func openFresh(t *testing.T, b testkit.Backend) *gorm.DB {
	t.Helper()
	url, dir := testkit.NewDatabaseURL(t, b)
	gdb, err := db.Open(url, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	return gdb
}

// declaredShape is the schema the live models declare, as GORM's migrator makes it on an empty database
// of the backend.
func declaredShape(t *testing.T, b testkit.Backend) map[string][]string {
	t.Helper()
	gdb := openFresh(t, b)
	if err := gdb.AutoMigrate(db.AllModels()...); err != nil {
		t.Fatal(err)
	}
	shape := schemaShape(t, gdb)
	if b == testkit.Postgres {
		for table, local := range db.PartitionedTables {
			shape[table] = asPartitioned(table, local, shape[table])
		}
		// The models cannot declare an operator class for PostgreSQL alone (migration 0033).
		shape["members"] = append(shape["members"],
			"index CREATE INDEX "+db.LoginIDPrefixIndex+" ON public.members USING btree (login_id varchar_pattern_ops)")
		slices.Sort(shape["members"])
		// Nor a BRIN index (migrations 0075 and 0090).
		for table, index := range map[string]string{"challenges": "idx_challenges_created_at", "auth_events": "idx_auth_events_created_at"} {
			for i, line := range shape[table] {
				if strings.HasPrefix(line, "index CREATE INDEX "+index+" ") {
					shape[table][i] = strings.Replace(line, "USING btree", "USING brin", 1)
				}
			}
		}
		// Nor an index that only PostgreSQL would use in place of the one SQLite keeps (migration 0090).
		shape["challenges"] = slices.DeleteFunc(shape["challenges"], func(line string) bool {
			return strings.HasPrefix(line, "index CREATE INDEX idx_challenges_state_deadline ")
		})
		shape["challenges"] = append(shape["challenges"], "index CREATE INDEX "+db.OpenChallengesIndex+" ON ONLY public.challenges USING btree (deadline) "+
			"WHERE ((state)::text = ANY ((ARRAY['created'::character varying, 'shown'::character varying, 'checking'::character varying])::text[]))")
		slices.Sort(shape["challenges"])
		// Nor an index that SQLite would make but never use (migration 0080).
		shape["auth_events"] = append(shape["auth_events"], "index CREATE INDEX "+db.MemberEventsIndex+" ON ONLY public.auth_events USING btree (member_id, created_at) "+
			"WHERE ((kind)::text <> ALL ((ARRAY['challenge_try'::character varying, 'challenge_result'::character varying])::text[]))")
		slices.Sort(shape["auth_events"])
	}
	return shape
}

// asPartitioned is a table's declared shape as a monthly-partitioned table (migration 0031): its
// indexes are the partitioned table's own (ON ONLY), its primary key gains created_at, which can then no
// longer be NULL, and the unique indexes of the columns in local are each partition's, not the table's.
func asPartitioned(table string, local []string, lines []string) []string {
	var out []string
	for _, line := range lines {
		line = strings.Replace(line, " ON public."+table+" ", " ON ONLY public."+table+" ", 1)
		switch {
		case strings.HasPrefix(line, "column created_at "):
			line = strings.Replace(line, "nullable=YES", "nullable=NO", 1)
		case strings.HasPrefix(line, "constraint "+table+"_pkey ") || strings.Contains(line, " INDEX "+table+"_pkey "):
			line = strings.TrimSuffix(line, ")") + ", created_at)"
		}
		isLocal := false
		for _, col := range local {
			isLocal = isLocal || strings.HasSuffix(line, "UNIQUE INDEX idx_"+table+"_"+col+" ON ONLY public."+table+" USING btree ("+col+")")
		}
		if !isLocal {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

// schemaShape reads a database's catalogue: per table, one sorted line per column (type, size,
// nullability, default), index (its definition) and constraint. The migrations' own table is left out.
func schemaShape(t *testing.T, gdb *gorm.DB) map[string][]string {
	t.Helper()
	shape := map[string][]string{}
	add := func(table, line string) {
		if table != "schema_migrations" {
			shape[table] = append(shape[table], line)
		}
	}
	scan := func(query string, f func(cols []string), args ...any) {
		rows, err := gdb.Raw(query, args...).Rows()
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		names, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(names))
			for i := range vals {
				vals[i] = new(any)
			}
			if err := rows.Scan(vals...); err != nil {
				t.Fatal(err)
			}
			cols := make([]string, len(names))
			for i, v := range vals {
				if x := *(v.(*any)); x != nil {
					cols[i] = fmt.Sprint(x)
					if b, ok := x.([]byte); ok {
						cols[i] = string(b)
					}
				}
			}
			f(cols)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if db.IsPostgres(gdb) {
		scan(`SELECT table_name, column_name, data_type, coalesce(character_maximum_length, 0), is_nullable,
			coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = current_schema()
			AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)`,
			func(c []string) {
				add(c[0], fmt.Sprintf("column %s %s(%s) nullable=%s default=%s", c[1], c[2], c[3], c[4], c[5]))
			})
		scan(`SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()
			AND tablename NOT IN (SELECT relname FROM pg_class WHERE relispartition)`,
			func(c []string) { add(c[0], "index "+c[1]) })
		scan(`SELECT cl.relname, con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con
			JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace ns ON ns.oid = cl.relnamespace
			WHERE ns.nspname = current_schema() AND NOT cl.relispartition`,
			func(c []string) { add(c[0], "constraint "+c[1]+" "+c[2]) })
	} else {
		var tables []string
		scan(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
			func(c []string) { tables = append(tables, c[0]) })
		for _, table := range tables {
			scan(`SELECT name, type, "notnull", coalesce(dflt_value, ''), pk FROM pragma_table_info(?)`,
				func(c []string) {
					add(table, fmt.Sprintf("column %s %s notnull=%s default=%s pk=%s", c[0], strings.ToLower(c[1]), c[2], c[3], c[4]))
				}, table)
			scan(`SELECT l.name, l."unique", l.partial, coalesce(m.sql, ''),
				(SELECT group_concat(name) FROM pragma_index_info(l.name))
				FROM pragma_index_list(?) l LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name`,
				func(c []string) {
					add(table, fmt.Sprintf("index %s unique=%s partial=%s columns=%s %s", c[0], c[1], c[2], c[4], normalizeSQL(c[3])))
				}, table)
			scan(`SELECT "table", "from", coalesce("to", ''), on_update, on_delete FROM pragma_foreign_key_list(?)`,
				func(c []string) { add(table, "foreign key "+strings.Join(c, " ")) }, table)
		}
	}
	for table := range shape {
		slices.Sort(shape[table])
	}
	return shape
}

var sqlNoise = regexp.MustCompile("[`\"\\s]+|(?i)if not exists")

// normalizeSQL drops the quoting, spacing and IF NOT EXISTS that SQLite keeps from the statement's text.
func normalizeSQL(stmt string) string { return strings.ToLower(sqlNoise.ReplaceAllString(stmt, "")) }

// compareShapes reports every table, column, index or constraint that differs, naming both sides.
func compareShapes(t *testing.T, got, want map[string][]string) {
	t.Helper()
	tables := map[string]bool{}
	for table := range got {
		tables[table] = true
	}
	for table := range want {
		tables[table] = true
	}
	for table := range tables {
		for _, line := range want[table] {
			if !slices.Contains(got[table], line) {
				t.Errorf("table %s: the models declare %q, the migrations do not make it", table, line)
			}
		}
		for _, line := range got[table] {
			if !slices.Contains(want[table], line) {
				t.Errorf("table %s: the migrations make %q, the models do not declare it", table, line)
			}
		}
	}
}

// A fresh database migrated by the steps has exactly the schema the models declare: every table,
// column, type, default, index and constraint, on both databases.
func TestMigrationsMakeWhatTheModelsDeclare(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := openFresh(t, b)
		if err := db.Migrate(gdb); err != nil {
			t.Fatal(err)
		}
		want := declaredShape(t, b)
		if len(want) != len(db.AllModels()) {
			t.Fatalf("the models declare %d tables, AllModels lists %d", len(want), len(db.AllModels()))
		}
		compareShapes(t, schemaShape(t, gdb), want)
	})
}

// A database made before commit 4c6bffc carries the old challenge indexes under the initial step's ID;
// the later steps bring it to the declared schema.
func TestMigrationsRepairAnInitialSchemaFromBefore4c6bffc(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := openFresh(t, b)
		if err := db.MigrateTo(gdb, "2026112501_initial_schema"); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{
			`DROP INDEX idx_challenges_av`,
			`CREATE INDEX idx_challenges_three_ds_server_trans_id ON challenges (three_ds_server_trans_id)`,
			`CREATE INDEX idx_challenges_authentication_value ON challenges (authentication_value)`,
		} {
			if err := gdb.Exec(stmt).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(gdb); err != nil {
			t.Fatal(err)
		}
		compareShapes(t, schemaShape(t, gdb), declaredShape(t, b))
	})
}

// sampleValues are valid values for coded columns, so that a later step that checks them (a CHECK
// constraint, a data migration) meets rows like real ones. Every other column gets a value of its type.
var sampleValues = map[string]any{
	"cards.brand": db.BrandJCB, "cards.status": db.CardActive, "cards.three_ds": db.ThreeDSEnrolled,
	"members.status": db.MemberActive, "challenges.state": db.ChallengeCreated, "challenges.trans_status": "C",
	"staffs.role": db.RoleAgent, "auth_events.kind": db.EventLogin,
}

// sampleRow is one row for the table: every column gets a value, so that no later step meets an
// unexpected NULL; integer columns get 1, which is also the id every foreign key points at.
func sampleRow(t *testing.T, gdb *gorm.DB, table string) map[string]any {
	t.Helper()
	cols, err := gdb.Migrator().ColumnTypes(table)
	if err != nil {
		t.Fatal(err)
	}
	row := map[string]any{}
	for _, col := range cols {
		typ := strings.ToLower(col.DatabaseTypeName())
		size, hasSize := col.Length()
		switch v, ok := sampleValues[table+"."+col.Name()]; {
		case ok:
			row[col.Name()] = v
		case strings.Contains(typ, "int"):
			row[col.Name()] = 1
		case strings.Contains(typ, "bool") || typ == "numeric":
			row[col.Name()] = true
		case strings.Contains(typ, "time") || strings.Contains(typ, "date"):
			row[col.Name()] = time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)
		case typ == "bytea" || typ == "blob":
			row[col.Name()] = []byte{1, 2, 3}
		case hasSize && size > 0 && size < 2:
			row[col.Name()] = "v"
		default:
			row[col.Name()] = "v1"
		}
	}
	return row
}

// tablesInOrder lists the database's tables, those of AllModels first in its (foreign-key) order. The
// monthly partitions of a partitioned table (PostgreSQL) are left out: its rows go in through the table.
func tablesInOrder(t *testing.T, gdb *gorm.DB) []string {
	t.Helper()
	present, err := gdb.Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	if db.IsPostgres(gdb) {
		var partitions []string
		if err := gdb.Raw(`SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'`).Scan(&partitions).Error; err != nil {
			t.Fatal(err)
		}
		present = slices.DeleteFunc(present, func(table string) bool { return slices.Contains(partitions, table) })
	}
	var ordered []string
	for _, m := range db.AllModels() {
		stmt := &gorm.Statement{DB: gdb}
		if err := stmt.Parse(m); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(present, stmt.Schema.Table) {
			ordered = append(ordered, stmt.Schema.Table)
		}
	}
	for _, table := range present {
		if !slices.Contains(ordered, table) && table != "schema_migrations" {
			ordered = append(ordered, table)
		}
	}
	return ordered
}

func allRows(t *testing.T, gdb *gorm.DB, table string, columns []string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := gdb.Table(table).Select(columns).Order(columns[0]).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// A database left at any step, with a row in every table, upgrades to the latest step and keeps every
// row and every value.
func TestMigrationsUpgradeKeepsEveryRow(t *testing.T) {
	var steps []string
	{
		statuses, err := db.MigrationStatus(openFresh(t, testkit.SQLite))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range statuses {
			steps = append(steps, s.ID)
		}
	}
	for _, step := range steps[:len(steps)-1] {
		t.Run("from "+step, func(t *testing.T) {
			testkit.Each(t, func(t *testing.T, b testkit.Backend) {
				gdb := openFresh(t, b)
				if err := db.MigrateTo(gdb, step); err != nil {
					t.Fatal(err)
				}
				tables := tablesInOrder(t, gdb)
				if len(tables) == 0 {
					t.Fatal("the step made no tables")
				}
				before := map[string][]map[string]any{}
				columns := map[string][]string{}
				for _, table := range tables {
					if err := gdb.Table(table).Create(sampleRow(t, gdb, table)).Error; err != nil {
						t.Fatalf("insert into %s: %v", table, err)
					}
					cols, err := gdb.Migrator().ColumnTypes(table)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range cols {
						columns[table] = append(columns[table], c.Name())
					}
					before[table] = allRows(t, gdb, table, columns[table])
				}
				if err := db.Migrate(gdb); err != nil {
					t.Fatalf("upgrade: %v", err)
				}
				for _, table := range tables {
					// A later step may drop a column; every value in the columns that remain must stay.
					kept := remainingColumns(t, gdb, table, columns[table])
					if after, want := allRows(t, gdb, table, kept), onlyColumns(before[table], kept); !reflect.DeepEqual(after, want) {
						t.Errorf("%s before the upgrade: %v\nafter: %v", table, want, after)
					}
				}
			})
		})
	}
}

// Several processes starting at once against one new database all migrate without error, and every
// step runs once.
func TestConcurrentMigrationsAreSafe(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		url, dir := testkit.NewDatabaseURL(t, b)
		const processes = 4
		pools := make([]*gorm.DB, processes)
		for i := range pools {
			gdb, err := db.Open(url, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close(gdb) })
			pools[i] = gdb
		}
		errs := make([]error, processes)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, gdb := range pools {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = db.Migrate(gdb)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		}
		var applied []string
		if err := pools[0].Table("schema_migrations").Pluck("id", &applied).Error; err != nil {
			t.Fatal(err)
		}
		statuses, err := db.MigrationStatus(pools[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != len(statuses) {
			t.Errorf("schema_migrations holds %v for %d steps", applied, len(statuses))
		}
		for _, s := range statuses {
			if !s.Applied || !s.Known {
				t.Errorf("step %+v", s)
			}
		}
		compareShapes(t, schemaShape(t, pools[0]), declaredShape(t, b))
	})
}

func TestMigrationStatus(t *testing.T) {
	testkit.Each(t, func(t *testing.T, b testkit.Backend) {
		gdb := openFresh(t, b)
		status := func() []db.MigrationStep {
			t.Helper()
			steps, err := db.MigrationStatus(gdb)
			if err != nil {
				t.Fatal(err)
			}
			return steps
		}
		fresh := status()
		if len(fresh) < 2 || fresh[0].ID != "2026112501_initial_schema" {
			t.Fatalf("steps of a fresh database: %+v", fresh)
		}
		for _, s := range fresh {
			if s.Applied || !s.Known {
				t.Errorf("fresh database: %+v", s)
			}
		}
		if err := db.MigrateTo(gdb, fresh[0].ID); err != nil {
			t.Fatal(err)
		}
		for i, s := range status() {
			if s.Applied != (i == 0) {
				t.Errorf("after the first step only: %+v", s)
			}
		}
		if err := db.Migrate(gdb); err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec("INSERT INTO schema_migrations (id) VALUES ('2099010101_from_a_newer_release')").Error; err != nil {
			t.Fatal(err)
		}
		steps := status()
		last := steps[len(steps)-1]
		if len(steps) != len(fresh)+1 || last.ID != "2099010101_from_a_newer_release" || !last.Applied || last.Known {
			t.Errorf("a newer release's step is not listed as applied and unknown: %+v", steps)
		}
		for _, s := range steps[:len(fresh)] {
			if !s.Applied {
				t.Errorf("after migrating: %+v", s)
			}
		}
	})
}

// remainingColumns is the part of columns that table still has.
func remainingColumns(t *testing.T, gdb *gorm.DB, table string, columns []string) []string {
	t.Helper()
	types, err := gdb.Migrator().ColumnTypes(table)
	if err != nil {
		t.Fatal(err)
	}
	now := map[string]bool{}
	for _, c := range types {
		now[c.Name()] = true
	}
	var kept []string
	for _, c := range columns {
		if now[c] {
			kept = append(kept, c)
		}
	}
	return kept
}

// onlyColumns copies rows with just the given columns.
func onlyColumns(rows []map[string]any, columns []string) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, row := range rows {
		out[i] = map[string]any{}
		for _, c := range columns {
			out[i][c] = row[c]
		}
	}
	return out
}

// On PostgreSQL the counters an AReq rewrites leave room in their pages for the rows' next versions
// (migration 0075), so that their updates stay HOT; SQLite has no fill factor.
func TestCounterTablesLeaveRoomForUpdates(t *testing.T) {
	gdb := openFresh(t, testkit.Postgres)
	if err := db.Migrate(gdb); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"areq_counters", "card_risk_counters"} {
		var options []string
		if err := gdb.Raw("SELECT unnest(reloptions) FROM pg_class WHERE relname = ?", table).Scan(&options).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(options, "fillfactor=70") {
			t.Errorf("%s: options %v, want fillfactor=70", table, options)
		}
	}
}
