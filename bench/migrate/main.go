// Command migrate measures kfaws migrate's database copy (internal/migrate/dbcopy) against
// `mysqldump --single-transaction | mysql`, in one run on the same two local MariaDB servers (source and
// destination) and the same data: KFP's, the cache's, MLMD's and Katib's databases as dbcopytest seeds them. It
// prints each side's time and the ratio mysqldump/kfaws; the aim is at least 1.0.
//
//	go run ./bench/migrate -rows 20000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func main() {
	rows := flag.Int("rows", 20000, "KFP runs to seed (the other tables scale with it)")
	flag.Parse()
	if _, err := runDB(context.Background(), os.Stdout, *rows); err != nil {
		fmt.Fprintln(os.Stderr, "bench/migrate:", err)
		os.Exit(1)
	}
}
