package db

// MigrateTo lets tests leave a database at a step, as an older release of Honnin left it.
var MigrateTo = migrateTo

// Steps lets tests run one step's Migrate or Rollback on its own.
var Steps = migrations
