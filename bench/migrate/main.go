// Command migrate measures `kfaws migrate` against the tools people use instead, in one run on local servers,
// and prints both ratios (aim: at least 1.0 each).
//
// Databases (db.go): kfaws migrate's database copy (internal/migrate/dbcopy) against
// `mysqldump --single-transaction | mysql`, on the same two local MariaDB servers (source and destination) and the
// same data: KFP's, the cache's, MLMD's and Katib's databases as dbcopytest seeds them.
//
// Objects (objects.go): migrate's object copy (internal/migrate/objcopy.Copy with its defaults: 16 objects in
// flight, multipart above 64 MiB in 16 MiB parts, every object verified) against `rclone copy` between two remotes
// (so rclone downloads and uploads, as from MinIO to S3, rather than copying server-side), once with rclone's
// defaults (--transfers 4 --checkers 8) and once with --transfers and --checkers at 16. All three copy the same
// source bucket, filled once (untimed) as KFP leaves MinIO, into their own empty bucket on the local S3 (moto
// behind the proxy); each destination is then checked against the source. It prints each side's time, MiB/s and
// requests by operation, and the ratio rclone/kfaws.
//
// moto serves a few hundred requests a second whatever the parallelism, so the small objects measure requests per
// object: kfaws makes a GetObject and a PutObject, rclone also a HeadObject after each upload and a listing per
// directory. Large objects go the other way here: rclone writes anything under 200 MiB in one PutObject, kfaws
// above 64 MiB in parts, which moto assembles slowly in Python (-objects 0 -large-mib 256: about 0.5x); on S3 parts
// in parallel are the faster way.
//
//	go run ./bench/migrate -rows 20000 -objects 5000 -large-mib 256   # objects alone: about 5.5 minutes here
//	go run ./bench/migrate -only objects
//	go run ./bench/migrate -only db -parallel 2 -cpuprofile /tmp/dbcopy.prof   # dbcopy tuned, and profiled
//
// rclone is Debian's, unpacked under $HOME/.cache/kfaws by hack/rclone.sh (or -rclone); run from the repository root.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

// rcloneFlag is -rclone.
var rcloneFlag string

func main() {
	rows := flag.Int("rows", 20000, "KFP runs to seed (the other tables scale with it)")
	objects := flag.Int("objects", 5000, "small objects in the source bucket (1 to 64 KiB each)")
	largeMiB := flag.Int("large-mib", 256, "MiB of large objects (multipart, up to 128 MiB each) in the source bucket")
	only := flag.String("only", "", "run one part: db or objects (default both)")
	flag.StringVar(&rcloneFlag, "rclone", "", "rclone binary (default: Debian's, unpacked under $HOME/.cache/kfaws by hack/rclone.sh)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the database copy (dbcopy alone) to this file")
	flag.IntVar(&dbcopyOptions.Parallel, "parallel", 0, "dbcopy's Options.Parallel (default: dbcopy's default)")
	flag.IntVar(&dbcopyOptions.BatchBytes, "batch-bytes", 0, "dbcopy's Options.BatchBytes (default: dbcopy's default)")
	flag.Parse()
	dbProfile = *cpuProfile
	if *only != "" && *only != "db" && *only != "objects" {
		fmt.Fprintln(os.Stderr, "bench/migrate: -only takes db or objects")
		os.Exit(2)
	}
	ctx := context.Background()
	var dbRatio, objRatio float64
	var err error
	if *only != "objects" {
		if dbRatio, err = runDB(ctx, os.Stdout, *rows); err != nil {
			fail(err)
		}
	}
	if *only != "db" {
		if objRatio, err = runObjects(ctx, os.Stdout, *objects, *largeMiB); err != nil {
			fail(err)
		}
	}
	if *only == "" {
		fmt.Printf("ratios: databases mysqldump/kfaws %.2fx, objects rclone copy (defaults)/kfaws %.2fx (aim >= 1 each)\n", dbRatio, objRatio)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/migrate:", err)
	os.Exit(1)
}
