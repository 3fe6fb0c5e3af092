module example.com/thirdparty

go 1.24

require github.com/perpcheck/perpcheck v0.0.0

require (
	github.com/cockroachdb/apd/v3 v3.2.3 // indirect
	github.com/shopspring/decimal v1.6.0 // indirect
	pgregory.net/rapid v1.3.0 // indirect
)

replace github.com/perpcheck/perpcheck => ../..
