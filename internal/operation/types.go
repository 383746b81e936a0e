package operation

import (
	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/execute"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/migrate"
	"github.com/kfaws/kfaws/internal/migrate/dbcopy"
	"github.com/kfaws/kfaws/internal/migrate/objcopy"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/verify"
)

// The values operations return and take, under the names the CLI prints and binds them by. They live in the
// packages that make them; these names let a caller use an operation without reaching into those packages.
type (
	// AWSPlan is what plan decided for every AWS resource, and the steps to get there.
	AWSPlan = plan.Plan
	// PlanResource and PlanStep are one resource's decision and one step of an AWSPlan.
	PlanResource = plan.Resource
	PlanStep     = plan.Step
	// Rename is a configuration field and the value that leaves another installation's resource alone.
	Rename = plan.Rename
	// Reporter is told about each step of up as it runs.
	Reporter = execute.Reporter

	// Report is verify's verdict: one Check per thing checked.
	Report = verify.Report
	Check  = verify.Check
	// Area is a group of verify's checks: db, s3 or cluster.
	Area = verify.Area

	// DBOptions choose how verify reaches the database (tunnel, CA bundle, relay pod).
	DBOptions = dbaccess.Options
)

// ErrSkipped is the error a Reporter gets for a step that did not run because a step it waits for failed.
var ErrSkipped = execute.ErrSkipped

// ParseArea reads an area name as --only takes it.
func ParseArea(s string) (Area, error) { return verify.ParseArea(s) }

// DefaultRelayImage is the image of verify's relay pod (it needs socat); DefaultRelayNamespace is where it runs
// (its pods must be allowed to reach RDS, as Kubeflow's are).
const (
	DefaultRelayImage     = dbaccess.DefaultRelayImage
	DefaultRelayNamespace = kubeflow.Namespace
)

// DefaultInstanceTimeout is how long up and down wait for the DB instance unless told otherwise.
const DefaultInstanceTimeout = execute.DefaultInstanceTimeout

// The values kfaws migrate reports, under the names the CLI prints them by.
type (
	// MigrateTable is one table copied and verified.
	MigrateTable = dbcopy.TableResult
	// MigrateObjectProgress is how far the object copy is.
	MigrateObjectProgress = objcopy.Progress
	// MigrateDatabaseName is a database's name on the source and the destination.
	MigrateDatabaseName = migrate.DatabaseName
)
