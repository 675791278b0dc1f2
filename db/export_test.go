package db

// MigrateTo lets tests leave a database at a step, as an older release of Honnin left it.
var MigrateTo = migrateTo
