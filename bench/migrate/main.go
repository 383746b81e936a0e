// Command migrate measures `kfaws migrate` against the tools people use instead, in one run on local servers.
//
// Objects (objects.go): migrate's object copy (internal/migrate/objcopy.Copy with its defaults: 16 objects in
// flight, multipart above 64 MiB in 16 MiB parts, every object verified) against `rclone copy` between two remotes
// (so rclone downloads and uploads, as from MinIO to S3, rather than copying server-side), once with rclone's
// defaults (--transfers 4 --checkers 8) and once with --transfers and --checkers at 16. All three copy the same
// source bucket, filled once (untimed) as KFP leaves MinIO, into their own empty bucket on the local S3 (moto
// behind the proxy); each destination is then checked against the source. It prints each side's time, MiB/s and
// requests by operation, and the ratio rclone/kfaws (aim: at least 1).
//
// moto serves a few hundred requests a second whatever the parallelism, so the small objects measure requests per
// object: kfaws makes a GetObject and a PutObject, rclone also a HeadObject after each upload and a listing per
// directory. Large objects go the other way here: rclone writes anything under 200 MiB in one PutObject, kfaws
// above 64 MiB in parts, which moto assembles slowly in Python (-objects 0 -large-mib 256: about 0.5x); on S3 parts
// in parallel are the faster way.
//
//	go run ./bench/migrate -objects 5000 -large-mib 256   # about 5.5 minutes here, 30 s of it filling the source
//
// rclone is Debian's, unpacked under $HOME/.cache/kfaws by hack/rclone.sh (or -rclone); run from the repository root.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func main() {
	objects := flag.Int("objects", 5000, "small objects in the source bucket (1 to 64 KiB each)")
	largeMiB := flag.Int("large-mib", 256, "MiB of large objects (multipart, up to 128 MiB each) in the source bucket")
	flag.StringVar(&rcloneFlag, "rclone", "", "rclone binary (default: Debian's, unpacked under $HOME/.cache/kfaws by hack/rclone.sh)")
	flag.Parse()
	if _, err := runObjects(context.Background(), os.Stdout, *objects, *largeMiB); err != nil {
		fmt.Fprintln(os.Stderr, "bench/migrate:", err)
		os.Exit(1)
	}
}
