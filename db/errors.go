package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsUnavailable reports whether err means the database could not be reached or gave up for now
// (connection refused or lost, timeout, server shutting down): a transient failure, not a bug.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn),
		errors.As(err, &netErr), errors.As(err, &connectErr):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P: operator intervention (shutdown, cancel); 53: resources.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "53")
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "unexpected EOF") ||
		strings.Contains(msg, "conn closed") || strings.Contains(msg, "server closed the connection")
}
