package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/kfaws/kfaws/internal/operation"
)

// dbFlags choose how kfaws reaches the database: verify's checks and up's test of a given master password.
type dbFlags struct {
	relay bool
	db    operation.DBOptions
}

func addDBFlags(fl *pflag.FlagSet) *dbFlags {
	f := &dbFlags{}
	fl.StringVar(&f.db.Address, "db-address", "", "HOST:PORT of a tunnel to the database (TLS still checks the RDS host name)")
	fl.StringVar(&f.db.CAFile, "db-ca-file", "", "PEM bundle that signs the database certificate (the RDS CA bundle); default: system roots")
	fl.DurationVar(&f.db.DialTimeout, "db-dial-timeout", 3*time.Second, "how long to try the RDS endpoint directly before relaying")
	fl.BoolVar(&f.relay, "db-relay", true, "relay through a pod in the cluster when the endpoint is not reachable")
	fl.StringVar(&f.db.Relay.Image, "db-relay-image", operation.DefaultRelayImage, "image of the relay pod (needs socat)")
	fl.StringVar(&f.db.Relay.Namespace, "db-relay-namespace", operation.DefaultRelayNamespace, "namespace of the relay pod")
	return f
}

// options are the bound flags as the operations take them.
func (f *dbFlags) options() operation.DBOptions {
	o := f.db
	o.NoRelay = !f.relay
	return o
}
