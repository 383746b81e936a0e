package operation_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/kfaws/kfaws/localstack/katibdb"
)

// katibBinary finds the db-manager hack/katib-db-manager.sh installed.
func katibBinary(t *testing.T) string { return katibdb.Binary(t) }

// startKatib runs the real db-manager against the database, as the katib-db-manager Deployment kfaws renders
// would (same env variables, from the RDS secret or a component's secret), once it serves.
func startKatib(t *testing.T, sec map[string]string) *katibdb.Manager {
	t.Helper()
	return katibdb.Start(t, katibdb.DB{User: sec["username"], Password: sec["password"], Host: sec["host"],
		Port: sec["port"], Database: sec["database"]})
}

// reportMetrics reports accuracy values for a trial a second apart, as a Katib metrics collector does.
func reportMetrics(t *testing.T, m *katibdb.Manager, trial string, values ...float64) {
	t.Helper()
	var metrics []katibdb.Metric
	for i, v := range values {
		metrics = append(metrics, katibdb.Metric{Time: time.Now().Add(time.Duration(i) * time.Second).UTC().Format(time.RFC3339),
			Name: "accuracy", Value: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	m.Report(t, trial, metrics)
}
