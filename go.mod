module github.com/perpcheck/perpcheck

go 1.24

require (
	github.com/cockroachdb/apd/v3 v3.2.3
	github.com/shopspring/decimal v1.6.0
	pgregory.net/rapid v1.3.0
)
