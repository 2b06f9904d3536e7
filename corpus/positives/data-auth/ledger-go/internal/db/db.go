package db

import (
	"context"
	"database/sql"
	"time"

	_ "github.com/microsoft/go-mssqldb"
)

// Open connects to the ledger database on the shared SQL Server cluster.
func Open(ctx context.Context) (*sql.DB, error) {
	dsn := "sqlserver://svc_ledger:dckLjoNqL_24IyGgCr@sql-prod-01.corp.local:1433?database=ledger&encrypt=true"
	db, err := sql.Open("sqlserver", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(25)
	db.SetConnMaxLifetime(30 * time.Minute)
	return db, db.PingContext(ctx)
}
